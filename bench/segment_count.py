"""Segment counts over a million customers (target: typical rules count in under 1 s).

Prints one JSON object: for each typical segment, the matching customers and the median and
worst of 3 timed counts (ms), after one untimed warm-up run.

    DATABASE_URL=... .venv/bin/python bench/segment_count.py [customers]
"""

import statistics
import sys

from _common import django_setup, emit, ensure_customers, log, timed

SEGMENTS = {
    "dormant_180d": {"match": "all", "rules": [{"field": "last_purchase_days", "op": "gte", "value": 180}]},
    "subscribers": {"match": "all", "rules": [{"field": "subscription_status", "op": "eq", "value": "active"}]},
    "women_30s_osaka": {
        "match": "all",
        "rules": [
            {"field": "gender", "op": "eq", "value": "female"},
            {"field": "age", "op": "between", "value": [30, 39]},
            {"field": "prefecture", "op": "eq", "value": "大阪府"},
        ],
    },
    "vip_tag": {"match": "all", "rules": [{"field": "tag", "op": "eq", "value": "vip"}]},
    "high_spenders": {
        "match": "all",
        "rules": [
            {"field": "total_spent", "op": "gte", "value": 300000},
            {"field": "purchase_count", "op": "gte", "value": 10},
        ],
    },
    "churn_risk_attribute": {
        "match": "all",
        "rules": [
            {"field": "attributes.churn_score", "op": "gte", "value": 0.7},
            {"field": "subscription_status", "op": "in", "value": ["active", "paused"]},
        ],
    },
    "never_contacted_recent_buyers": {
        "match": "all",
        "rules": [
            {"field": "never_contacted", "op": "eq", "value": True},
            {"field": "last_purchase_days", "op": "lt", "value": 90},
        ],
    },
    "any_of_three": {
        "match": "any",
        "rules": [
            {"field": "mail_open_rate", "op": "gte", "value": 0.9},
            {"field": "tag", "op": "eq", "value": "vip"},
            {"field": "prefecture", "op": "in", "value": ["北海道", "福岡県"]},
        ],
    },
}


def main():
    customers = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    django_setup("contacts")
    with timed() as generation:
        total = ensure_customers(customers)
    from contacts.segments import customers_matching

    results = {}
    for name, criteria in SEGMENTS.items():
        customers_matching(criteria).count()  # warm-up (plans, cache)
        times, count = [], 0
        for _ in range(3):
            with timed() as t:
                count = customers_matching(criteria).count()
            times.append(t.seconds * 1000)
        results[name] = {
            "count": count,
            "median_ms": round(statistics.median(times), 1),
            "max_ms": round(max(times), 1),
        }
        log(f"{name}: {results[name]}")
    emit(
        {
            "bench": "segment_count",
            "customers": total,
            "data_setup_s": round(generation.seconds, 1),
            "segments": results,
            "worst_median_ms": max(r["median_ms"] for r in results.values()),
            "target_ms": 1000,
        }
    )


if __name__ == "__main__":
    main()
