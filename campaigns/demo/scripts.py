"""Demo talk scripts in the campaigns: a script variant (high spenders hear the heavy-user script in
the dormant-customer campaign), and the demo call history made with the scripts, with answers,
so the survey results and the per-version report have data.

Runs after campaigns.demo.history. Set-based and idempotent: one UPDATE per (campaign, variant)
and one per campaign for its default script, each touching only demo attempts (client token
"demo-h-…") that have no script version yet; a second run finds none. Which script an attempt
gets follows the console's rule (script_choice.py): the first variant whose segment the customer
belongs to and whose script is published, else the campaign's default script.

The answers follow each demo script's steps (scripts/demo.py) and the call's outcome: a sale
answered the whole path, a callback or refusal stopped at the decision, a do-not-call request
right after the disclosure, no answers at all when nobody (or the wrong person) was reached.
"""

import re

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q

from callcenter.history import history_change
from contacts.models import Segment
from contacts.segments import customers_matching
from scripts import demo as script_demo
from scripts.models import Script, ScriptVersion

from ..models import Campaign, CampaignScriptVariant
from ..services.script_variants import add_variant
from .history import TOKEN as DEMO_TOKEN

# (campaign, segment, script): high spenders of the dormant campaign hear the heavy-user script.
VARIANTS = [
    ("休眠顧客 掘り起こし 2026秋", "高額購入者（累計10万円以上）", script_demo.HEAVY),
]


def _h(key: str) -> str:
    """A stable pseudo-random number ≥ 0 per attempt and question."""
    return f"abs(hashtext(a.id::text || ':{key}'))"


OPENED = "d.code IN ('success', 'callback', 'refused')"
DECISION = "CASE d.code WHEN 'success' THEN 'yes' WHEN 'callback' THEN 'later' ELSE 'no' END"
CALL_DAY = "(a.started_at AT TIME ZONE 'Asia/Tokyo')::date"

# Script name → (step keys the expression uses, SQL expression of the answers; `a` is the
# attempt, `d` its disposition). jsonb_strip_nulls drops questions left unanswered.
ANSWERS = {
    script_demo.DORMANT: (
        {"opening", "recall", "interest", "confirm"},
        f"""
        CASE WHEN {OPENED} THEN jsonb_strip_nulls(jsonb_build_object(
                'opening', true,
                'recall', (ARRAY['good', 'good', 'so_so', 'forgot'])[1 + {_h("recall")} % 4],
                'interest', {DECISION},
                'confirm', CASE WHEN d.code = 'success' AND {_h("confirm")} % 3 <> 0
                                THEN to_char({CALL_DAY} + 3 + {_h("confirm")} % 10, 'YYYY-MM-DD') END))
             WHEN d.code = 'dnc_request' THEN '{{"opening": true}}'::jsonb
             ELSE '{{}}'::jsonb END""",
    ),
    script_demo.HEAVY: (
        {"opening", "usage", "decision"},
        f"""
        CASE WHEN {OPENED} THEN jsonb_build_object(
                'opening', true,
                'usage', (ARRAY['["aojiru"]', '["collagen"]', '["vitamin"]', '["aojiru", "collagen"]',
                                '["aojiru", "vitamin"]', '["collagen", "vitamin"]', '["aojiru", "collagen", "vitamin"]']
                          )[1 + {_h("usage")} % 7]::jsonb,
                'decision', {DECISION})
             WHEN d.code = 'dnc_request' THEN '{{"opening": true}}'::jsonb
             ELSE '{{}}'::jsonb END""",
    ),
    # Satisfaction draws 5,5,4,4,4,4 | 3,3,2,1 from one hash, so comments can match the mood.
    script_demo.SURVEY: (
        {"satisfaction", "frequency", "channels", "comment"},
        f"""
        CASE WHEN d.code = 'success' THEN jsonb_strip_nulls(jsonb_build_object(
                'satisfaction', (ARRAY['5', '5', '4', '4', '4', '4', '3', '3', '2', '1'])[1 + {_h("satisfaction")} %
                    10],
                'frequency', to_jsonb({_h("frequency")} % 15),
                'channels', (ARRAY['["web"]', '["phone"]', '["catalog"]', '["web", "phone"]', '["catalog", "phone"]',
                                   '["store"]', '["web", "store"]'])[1 + {_h("channels")} % 7]::jsonb,
                'comment', CASE WHEN {_h("comment")} % 10 >= 4 THEN NULL
                                WHEN {_h("satisfaction")} % 10 < 6
                                THEN (ARRAY['毎朝続けやすい味で気に入っている。', '家族の分もまとめて注文したい。',
                                            '届くのが早くて助かる。'])[1 + {_h("comment")} % 3]
                                ELSE (ARRAY['量が多くて飲みきれない。', '価格がもう少し安いとうれしい。',
                                            '電話注文の待ち時間が長い。'])[1 + {_h("comment")} % 3] END))
             WHEN d.code = 'callback' THEN jsonb_build_object(
                'satisfaction', (ARRAY['5', '4', '4', '3'])[1 + {_h("satisfaction")} % 4])
             ELSE '{{}}'::jsonb END""",
    ),
}
NO_ANSWERS = "'{}'::jsonb"


def _answers_sql(version: ScriptVersion) -> str:
    """The answers expression for this version, or none when its steps are not the demo's
    (a supervisor edited the script): the attempt still records the version it was made with."""
    keys, expression = ANSWERS.get(version.script.name, (None, None))
    if expression is None or not keys <= set(version.steps.values_list("key", flat=True)):
        return NO_ANSWERS
    return expression


def _assign(*, campaign_id: int, version: ScriptVersion, segment: Segment | None) -> int:
    """Give the campaign's demo attempts without a script (of `segment`'s customers, or all
    remaining ones) this version and answers. Returns the number of attempts."""
    params = [version.pk, campaign_id]
    in_segment = ""
    if segment is not None:
        customers_sql, customers_params = customers_matching(segment.criteria).values("pk").query.sql_with_params()
        in_segment = f"AND a.customer_id IN ({customers_sql})"
        params += list(customers_params)
    # Modulo signs become %% for the driver; the %s placeholders stay.
    answers = re.sub(r"%(?!s)", "%%", _answers_sql(version))
    # The demo's own history, generated a moment ago, gets the answers its calls would have had.
    with history_change("demo data: survey answers of the generated history"), connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE campaigns_callattempt a SET script_version_id = %s, answers = {answers}
            FROM campaigns_disposition d
            WHERE d.id = a.disposition_id AND a.campaign_id = %s AND a.client_token LIKE '{DEMO_TOKEN}%%'
              AND a.script_version_id IS NULL AND a.answers = '{{}}'::jsonb {in_segment}
        """,
            params,
        )
        return cursor.rowcount


def _seed_variants(users) -> int:
    created = 0
    for campaign_name, segment_name, script_name in VARIANTS:
        campaign = Campaign.objects.filter(name=campaign_name).exclude(status=Campaign.Status.FINISHED).first()
        segment = Segment.objects.filter(name=segment_name).first()
        script = Script.objects.filter(name=script_name).first()
        if campaign is None or segment is None or script is None:
            continue
        if CampaignScriptVariant.objects.filter(campaign=campaign, segment=segment).exists():
            continue
        add_variant(campaign=campaign, segment=segment, script=script, by=users.get("supervisor"))
        created += 1
    return created


def _valid(segment) -> bool:
    try:
        customers_matching(segment.criteria)
    except ValidationError:  # the console passes such a variant over too
        return False
    return True


def _seed_attempts() -> int:
    updated = 0
    campaigns = Campaign.objects.filter(Q(script__isnull=False) | Q(script_variants__isnull=False)).distinct()
    for campaign in campaigns.order_by("pk"):
        with transaction.atomic():
            for variant in campaign.script_variants.select_related("segment", "script").order_by("position", "id"):
                version = variant.script.latest_published()
                if version is not None and _valid(variant.segment):
                    updated += _assign(campaign_id=campaign.pk, version=version, segment=variant.segment)
            version = campaign.script.latest_published() if campaign.script_id else None
            if version is not None:
                updated += _assign(campaign_id=campaign.pk, version=version, segment=None)
    return updated


def seed(*, users: dict, stdout) -> None:
    variants = _seed_variants(users)
    attempts = _seed_attempts()
    stdout.write(
        f"campaigns.demo.scripts: {variants} script variant(s) added, "
        f"{attempts} demo attempts given their script version and answers"
    )
