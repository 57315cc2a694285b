"""Talk-script figures: what an operator waits for when a call opens (variant choice + the walk
panel), and what a supervisor waits for in the script reports over many attempts.

Prints one JSON object:
- choose_ms: choosing the script version for a customer in a campaign with 3 segment variants
  (median / p95 over 200 customers),
- panel_ms: building and rendering the walk panel of the chosen script, 6 to 10 steps (median / p95),
- version_kpis_ms: dials / contact rate / success rate per script version for one campaign,
- survey_csv: rows per second writing the survey CSV (one row per answered attempt).

    DATABASE_URL=... .venv/bin/python bench/script_reports.py [attempts] [customers]
"""

import statistics
import sys

from _common import (
    django_setup,
    emit,
    ensure_attempts,
    ensure_bench_campaigns,
    ensure_customers,
    log,
    percentile,
    timed,
)

ATTEMPTS = int(sys.argv[1]) if len(sys.argv) > 1 else 500_000
CUSTOMERS = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000


def ensure_scripts(campaign):
    """The demo scripts, a second version of the survey, and answers on the campaign's attempts
    (set-based: one UPDATE per version)."""
    from django.db import connection

    from campaigns.models import CampaignScriptVariant
    from contacts.models import Segment
    from scripts import demo, services
    from scripts.models import Script, ScriptVersion

    demo.seed(users={})
    survey = Script.objects.get(name=demo.SURVEY)
    if not survey.versions.filter(number=2).exists():
        draft, _ = services.start_draft(script=survey, by=None)
        services.publish_version(version=draft, by=None, notes="bench v2")
    v1, v2 = ScriptVersion.objects.filter(script=survey).order_by("number")[:2]
    campaign.script = Script.objects.get(name=demo.DORMANT)
    campaign.save(update_fields=["script"])
    variants = [
        ("bench heavy", {"match": "all", "rules": [{"field": "purchase_count", "op": "gte", "value": 10}]}, demo.HEAVY),
        (
            "bench dormant",
            {"match": "all", "rules": [{"field": "last_purchase_days", "op": "gte", "value": 365}]},
            demo.DORMANT,
        ),
        (
            "bench subscribers",
            {"match": "all", "rules": [{"field": "subscription_status", "op": "eq", "value": "active"}]},
            demo.SURVEY,
        ),
    ]
    for position, (name, criteria, script_name) in enumerate(variants):
        segment, _ = Segment.objects.get_or_create(name=name, defaults={"criteria": criteria})
        CampaignScriptVariant.objects.get_or_create(
            campaign=campaign,
            segment=segment,
            defaults={"script": Script.objects.get(name=script_name), "position": position},
        )
    with connection.cursor() as cursor:
        for version, parity in ((v1, 0), (v2, 1)):
            cursor.execute(
                """
                UPDATE campaigns_callattempt a SET script_version_id = %s, answers = CASE WHEN d.is_contact THEN
                    jsonb_build_object('satisfaction', (1 + a.id %% 5)::text, 'frequency', a.id %% 8,
                                       'channels', jsonb_build_array('web', 'phone'), 'comment', 'とても良い')
                    ELSE '{}'::jsonb END
                FROM campaigns_disposition d
                WHERE d.id = a.disposition_id AND a.campaign_id = %s AND a.id %% 2 = %s AND a.script_version_id IS NULL
                """,
                [version.pk, campaign.pk, parity],
            )
        cursor.execute("ANALYZE campaigns_callattempt")
    return v1


def main():
    django_setup("scripts")
    ensure_customers(CUSTOMERS)
    ensure_attempts(ATTEMPTS)
    campaign = ensure_bench_campaigns()[0]
    version = ensure_scripts(campaign)
    from django.conf import settings

    # Benches run with DEBUG off; the panel's {% static %} must not need collectstatic's manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.contrib.auth.models import User
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from campaigns.models import CallAttempt
    from campaigns.selectors import script_reports
    from campaigns.services.script_choice import choose_script_version
    from contacts.models import Customer
    from scripts import selectors

    customers = list(Customer.objects.order_by("?")[:200])
    operator = User.objects.filter(username__startswith="bench_op").first()
    choose, panel = [], []
    request = RequestFactory().get("/")
    request.user = operator
    for customer in customers:
        with timed() as t:
            chosen = choose_script_version(campaign=campaign, customer=customer)
        choose.append(t.seconds * 1000)
        with timed() as t:
            data = selectors.walk_panel(version=chosen, customer=customer, campaign=campaign, operator=operator)
            render_to_string(
                "scripts/walk/panel.html", {"panel": data, "entry": None, "preview": False}, request=request
            )
        panel.append(t.seconds * 1000)

    with timed() as kpis:
        rows = script_reports.version_kpis(campaign=campaign)
    attempts = script_reports.survey_attempts(campaign=campaign)
    columns = script_reports.survey_columns(attempts)
    with timed() as csv_time:
        count = sum(1 for _ in script_reports.survey_rows(attempts, columns))
    log(f"kpis rows: {rows}")
    emit(
        {
            "attempts_total": CallAttempt.objects.count(),
            "campaign_attempts": sum(r["dials"] for r in rows),
            "choose_ms": {
                "median": round(statistics.median(choose), 2),
                "p95": round(percentile(choose, 0.95), 2),
                "variants": 3,
            },
            "panel_ms": {
                "median": round(statistics.median(panel), 2),
                "p95": round(percentile(panel, 0.95), 2),
                "survey_steps": version.steps.count(),
            },
            "version_kpis_ms": round(kpis.seconds * 1000, 1),
            "survey_csv": {
                "rows": count,
                "seconds": round(csv_time.seconds, 2),
                "rows_per_second": round(count / csv_time.seconds) if csv_time.seconds else None,
            },
        }
    )


if __name__ == "__main__":
    main()
