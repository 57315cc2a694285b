"""The customer list page over a million customers: server time of typical searches and filters
(the whole request: query, DNC badge, phones, template), median of 3 after a warm-up.

    DATABASE_URL=... .venv/bin/python bench/customer_list.py [customers]
"""

import os
import statistics
import sys

os.environ.setdefault("DEBUG", "1")  # plain static storage: no collectstatic manifest needed

from _common import django_setup, emit, ensure_customers, ensure_dnc, log, timed

CUSTOMERS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000

QUERIES = {
    "first_page": "",
    "name_fragment": "?q=顧客12345",
    "kana_fragment_hiragana": "?q=こきゃく77777",
    "two_characters": "?q=顧客",
    "phone_any_format": "?q=%2B81 90-0012-3456",
    "external_id": "?q=B00500000",
    "prefecture_and_subscription": "?prefecture=大阪府&subscription=active",
    "tag": "?tag=vip",
    "dnc_blocked": "?dnc=blocked",
    "sorted_by_total_spent": "?sort=-total_spent",
    "page_200": "?page=200",
    "segment": None,  # filled in with a saved segment
}


def main():
    django_setup("contacts")
    with timed() as generation:
        total = ensure_customers(CUSTOMERS)
        ensure_dnc(30_000)
    from django.contrib.auth.models import Group, User
    from django.test import Client

    from contacts.models import Segment

    user, created = User.objects.get_or_create(username="bench_supervisor")
    if created:
        user.groups.add(Group.objects.get(name="Supervisor"))
    segment, _ = Segment.objects.get_or_create(
        name="bench dormant",
        defaults={
            "criteria": {
                "match": "all",
                "rules": [
                    {"field": "last_purchase_days", "op": "gte", "value": 180},
                    {"field": "subscription_status", "op": "eq", "value": "active"},
                ],
            }
        },
    )
    QUERIES["segment"] = f"?segment={segment.pk}"
    from callcenter.signin.testing import sign_in

    client = sign_in(Client(), user)  # a supervisor: second factor included
    results = {}
    for name, query in QUERIES.items():
        url = "/contacts/customers/" + query
        response = client.get(url)  # warm-up
        assert response.status_code == 200, (url, response.status_code)
        times = []
        for _ in range(3):
            with timed() as t:
                response = client.get(url)
            times.append(t.seconds * 1000)
        rows = response.content.decode().count('data-testid="customer-row"')
        results[name] = {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1), "rows": rows}
        log(f"{name}: {results[name]}")
    emit(
        {
            "bench": "customer_list",
            "customers": total,
            "data_setup_s": round(generation.seconds, 1),
            "requests": results,
            "worst_median_ms": max(r["median_ms"] for r in results.values()),
        }
    )


if __name__ == "__main__":
    main()
