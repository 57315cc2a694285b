"""Demo campaigns: the policy presets (and a copy of the Japan one without the sales disclosure for
the survey), four campaigns of different purposes (Japanese names,
statuses active / active / paused / finished), call lists built from the demo segments through
the real build service, operators assigned, operator skills, and pre-notices for the DM
follow-up. Idempotent: a campaign that already exists (by name) is left as it is."""

import datetime

from django.db import transaction
from django.utils import timezone

from contacts.models import Customer, Segment

from ..models import CallList, Campaign, OperatorProfile
from ..services.campaigns import activate_campaign, finish_campaign, pause_campaign, save_campaign
from ..services.disclosure import ITEMS as DISCLOSURE_ITEMS
from ..services.disclosure import confirm_wording, scripts_shown
from ..services.lists import create_call_list, run_call_list_build
from ..services.policies import PRESETS, ensure_preset_policies
from ..services.prenotices import import_prenotices

JAPAN = PRESETS["japan_standard"]["name"]

# name, purpose, status, segment, order (order_by, attribute), required skill, script, description
CAMPAIGNS = [
    (
        "休眠顧客 掘り起こし 2026秋",
        Campaign.Purpose.REACTIVATION,
        Campaign.Status.ACTIVE,
        "休眠顧客（180日以上購入なし）",
        (CallList.Order.RECENT_PURCHASE, ""),
        "",
        "休眠顧客掘り起こし（標準）",
        "半年以上ご購入のないお客様へ、新しい定期便プランのご案内。",
    ),
    (
        "定期便 解約防止コール",
        Campaign.Purpose.CHURN,
        Campaign.Status.ACTIVE,
        "解約リスク高（定期・churn_score 0.7以上）",
        (CallList.Order.ATTRIBUTE, "churn_score"),
        "veteran",
        "ヘビーユーザー向け 定期便ご案内",
        "解約予測スコアの高い定期便のお客様へ、ご利用状況の確認と休止プランのご案内。",
    ),
    (
        "DMフォロー 秋の新商品",
        Campaign.Purpose.DM_FOLLOWUP,
        Campaign.Status.PAUSED,
        "首都圏 30〜40代女性",
        (CallList.Order.HIGHEST_SPEND, ""),
        "",
        "休眠顧客掘り起こし（標準）",
        "新商品DMを送付したお客様へのフォローコール。DM到着から3日以上あけて架電。",
    ),
    (
        "高額顧客 満足度アンケート 9月",
        Campaign.Purpose.SURVEY,
        Campaign.Status.FINISHED,
        "高額購入者（累計10万円以上）",
        (CallList.Order.HIGHEST_SPEND, ""),
        "",
        "お客様満足度アンケート",
        "累計10万円以上のお客様への電話アンケート（終了）。",
    ),
]
SKILLS = {"operator1": ["veteran", "collections"], "operator2": ["sales"]}


def _script(name):
    from scripts.models import Script

    return Script.objects.filter(name=name).first()


def _seed_skills(users, stdout) -> None:
    for username, skills in SKILLS.items():
        user = users.get(username)
        if user is None:
            continue
        profile, created = OperatorProfile.objects.get_or_create(user=user, defaults={"skills": skills})
        if created:
            stdout.write(f"campaigns: skills of {username}: {', '.join(skills)}")


def _seed_campaign(spec, *, users, today) -> bool:
    name, purpose, status, segment_name, (order_by, attribute), skill, script_name, description = spec
    if Campaign.objects.filter(name=name).exists():
        return False
    from ..models import CallingPolicy

    finished = status == Campaign.Status.FINISHED
    starts = today - datetime.timedelta(days=70 if finished else 45)
    ends = today + datetime.timedelta(days=40)
    with transaction.atomic():
        policy = _survey_policy() if spec[1] == Campaign.Purpose.SURVEY else CallingPolicy.objects.get(name=JAPAN)
        _build_campaign(spec, users=users, today=today, starts=starts, ends=ends, policy=policy)
    return True


SURVEY_POLICY = "Japan standard (survey, no sales disclosure)"


def _survey_policy():
    """A survey sells nothing: 特定商取引法 Art. 16 does not apply, so its policy (otherwise the
    Japan sales preset's numbers) does not require the sales disclosure."""
    from ..models import CallingPolicy
    from ..presets import preset_values

    values = preset_values("japan_standard")
    values.pop("name")
    values["disclosure_required"] = False
    return CallingPolicy.objects.get_or_create(name=SURVEY_POLICY, defaults=values)[0]


def _build_campaign(spec, *, users, today, starts, ends, policy):
    name, purpose, status, segment_name, (order_by, attribute), skill, script_name, description = spec
    supervisor = users.get("supervisor")
    operators = [users[u] for u in ("operator1", "operator2") if u in users]
    finished = status == Campaign.Status.FINISHED
    campaign = Campaign(
        name=name,
        purpose=purpose,
        description=description,
        policy=policy,
        script=_script(script_name),
        starts_on=starts,
        ends_on=ends,
        cost_per_hour=1800,
        cost_per_minute=3,
        fixed_cost=50000,
        prenotice_days=3 if purpose == Campaign.Purpose.DM_FOLLOWUP else None,
    )
    save_campaign(campaign=campaign, by=supervisor, operators=operators, changed=["name"])
    if "client" in users and not finished:
        campaign.client_viewers.add(users["client"])
    segment = Segment.objects.filter(name=segment_name).first()
    if segment is None:
        return
    if campaign.prenotice_days is not None:
        from contacts.segments import customers_matching

        external_ids = customers_matching(segment.criteria).values_list("external_id", flat=True)
        # Most notices went out 10 days ago; a few only yesterday (too recent to call yet).
        rows = [
            (external_id, today - datetime.timedelta(days=1 if index % 10 == 0 else 10), "dm")
            for index, external_id in enumerate(external_ids)
        ]
        import_prenotices(campaign=campaign, rows=rows, by=supervisor)
    call_list = create_call_list(
        campaign=campaign,
        name=f"{segment.name} {starts:%-m}月",
        by=supervisor,
        segment=segment,
        order_by=order_by,
        order_attribute=attribute,
        required_skill=skill,
        operators=[users["operator1"]] if skill and "operator1" in users else (),
    )
    run_call_list_build(call_list_id=call_list.pk)
    if not operators:
        return
    if policy is not None and policy.disclosure_required:
        # The demo scripts name the company and the product in their own words: the supervisor
        # confirms that the opening covers every item of 特定商取引法 Art. 16.
        for version in scripts_shown(campaign):
            confirm_wording(version=version, items=list(DISCLOSURE_ITEMS), by=supervisor)
    activate_campaign(campaign=campaign, by=supervisor)
    if status == Campaign.Status.PAUSED:
        pause_campaign(campaign=campaign, by=supervisor, reason="DM到着待ち")
    elif finished:
        finish_campaign(campaign=campaign, by=supervisor, reason="期間終了")
        # Its period is over: dated after the fact (activation refuses a past end date).
        Campaign.objects.filter(pk=campaign.pk).update(ends_on=today - datetime.timedelta(days=10))


def seed(*, users: dict, stdout) -> None:
    ensure_preset_policies()
    _seed_skills(users, stdout)
    today = timezone.localdate()
    if not Customer.objects.exists():
        stdout.write("campaigns: no customers yet, demo campaigns skipped")
        return
    created = sum(_seed_campaign(spec, users=users, today=today) for spec in CAMPAIGNS)
    stdout.write(f"campaigns: {created} demo campaign(s) created, {len(CAMPAIGNS) - created} already there")
