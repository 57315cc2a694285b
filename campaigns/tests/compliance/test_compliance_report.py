"""The compliance report: a violation of each rule planted straight into the database (no service
involved) is reported with its attempt id, and a campaign worked through dispatch reports none."""

import datetime as dt

import pytest
from django.db import connection

from callcenter.history import history_change
from campaigns.models import CallAttempt, Campaign, PreNotice
from campaigns.selectors.compliance import RULES, compliance_report
from campaigns.services.dispatch import dispatch_next
from campaigns.services.outcomes import record_outcome
from campaigns.tests.factories import CallingPolicyFactory, CampaignFactory
from campaigns.tests.factories_console import TOKYO, entry, past_attempt, ready_list
from contacts.models import DoNotCall
from contacts.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

# Monday 16 November 2026 .. Sunday 29 November 2026; Monday 23 November is a public holiday.
MONDAY = dt.date(2026, 11, 16)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A Tokyo wall-clock time in the week of MONDAY (day 0 = Monday)."""
    return dt.datetime.combine(MONDAY + dt.timedelta(days=day), dt.time(hour, minute), tzinfo=TOKYO)


def strict_policy(**overrides):
    fields = dict(
        call_window_start=dt.time(9, 0),
        call_window_end=dt.time(20, 0),
        weekdays=[0, 1, 2, 3, 4],
        skip_holidays=True,
        holiday_country="JP",
        max_attempts=3,
        max_attempts_per_day=2,
        min_gap_minutes=60,
        cap_attempts=4,
        cap_days=7,
        cooloff_days_after_contact=3,
        no_resolicit_after_refusal=True,
    )
    fields.update(overrides)
    return CallingPolicyFactory(**fields)


@pytest.fixture
def setup(reference_data):
    campaign = CampaignFactory(policy=strict_policy(), prenotice_days=3, status=Campaign.Status.ACTIVE)
    other = CampaignFactory(policy=campaign.policy)
    return campaign, other, ready_list(campaign), ready_list(other)


def noticed(call_list, **fields):
    """An entry whose customer was sent the campaign's pre-notice long before."""
    one = entry(call_list, **fields)
    PreNotice.objects.get_or_create(
        customer=one.customer, campaign=call_list.campaign, sent_on=MONDAY - dt.timedelta(days=30)
    )
    return one


def report_of(campaign, first=MONDAY - dt.timedelta(days=7), last=MONDAY + dt.timedelta(days=13)):
    report = compliance_report(campaign, date_from=first, date_to=last)
    return {row["rule"]: row for row in report.rules}, report


def test_a_compliant_history_reports_zero_and_counts_what_it_checked(setup):
    campaign, other, mine, theirs = setup
    one = noticed(mine)
    past_attempt(entry=one, at=at(0, 10), attempt_number=1)
    past_attempt(entry=one, at=at(0, 12), attempt_number=2)
    # a callback the customer asked for in a conversation is not held back by the cool-off
    past_attempt(entry=one, at=at(1, 10), code="callback", attempt_number=3, callback_at=at(1, 15))
    two = noticed(mine, phone="+81312345678")
    past_attempt(entry=two, at=at(2, 10), attempt_number=1)
    past_attempt(entry=noticed(theirs, customer=two.customer), at=at(2, 11, 30), attempt_number=1)
    rows, report = report_of(campaign)
    assert [row["rule"] for row in report.rules] == list(RULES)
    assert {rule: row["violations"] for rule, row in rows.items()} == dict.fromkeys(RULES, 0)
    assert report.attempts_checked == 4
    assert report.as_json()["campaign"] == campaign.pk


def test_each_planted_violation_is_reported_with_its_attempt_id(setup):
    campaign, other, mine, theirs = setup
    planted = {}

    # dnc: the number was on the registry at the moment of the call (revoked later: still a breach)
    one = noticed(mine)
    entry_dnc = DoNotCall.objects.create(
        phone_number=one.phone,
        reason=DoNotCall.Reason.CUSTOMER_REQUEST,
        source=DoNotCall.Source.SUPERVISOR,
        created_at=at(0, 9),
    )
    planted["dnc"] = past_attempt(entry=one, at=at(0, 10), attempt_number=1)
    DoNotCall.objects.filter(pk=entry_dnc.pk).update(revoked_at=at(0, 11), revoke_reason="mistake")
    # ... while a call before the entry, or after its revocation, is no breach
    past_attempt(entry=one, at=at(1, 10), attempt_number=2)

    # dnc on the customer (their other number was dialled)
    two = noticed(mine, phone="+81312345678")
    DoNotCall.objects.create(
        customer=two.customer,
        reason=DoNotCall.Reason.CUSTOMER_REQUEST,
        source=DoNotCall.Source.SUPERVISOR,
        created_at=at(0, 8),
    )
    planted["dnc_customer"] = past_attempt(entry=two, at=at(0, 10), attempt_number=1)

    # window: 20:30 in Tokyo
    planted["window"] = past_attempt(entry=noticed(mine), at=at(0, 20, 30), attempt_number=1)
    # window in the customer's own time zone: 10:00 in Tokyo is 20:00 the evening before in New York
    ny = noticed(mine, customer=CustomerFactory(time_zone="America/New_York"))
    planted["window_ny"] = past_attempt(entry=ny, at=at(1, 10), attempt_number=1)

    # weekday_holiday: a Saturday, and the public holiday of Monday 23 November
    planted["weekday"] = past_attempt(entry=noticed(mine), at=at(5, 10), attempt_number=1)
    planted["holiday"] = past_attempt(entry=noticed(mine), at=at(7, 10), attempt_number=1)

    # max_attempts: a fourth attempt in one round (3 allowed) -- also when the counter lies
    three = noticed(mine)
    for day, number in ((0, 1), (1, 2), (2, 3)):
        past_attempt(entry=three, at=at(day, 10), attempt_number=number)
    planted["max_attempts"] = past_attempt(entry=three, at=at(3, 10), attempt_number=4)
    lying = noticed(mine)
    for day in (8, 9, 10):
        past_attempt(entry=lying, at=at(day, 10), attempt_number=1 if day == 8 else 2)
    planted["max_attempts_counter"] = past_attempt(entry=lying, at=at(11, 10), attempt_number=2)

    # max_per_day: a third call on one local day (2 allowed)
    four = noticed(mine)
    past_attempt(entry=four, at=at(0, 9), attempt_number=1)
    past_attempt(entry=four, at=at(0, 11), attempt_number=2)
    planted["max_per_day"] = past_attempt(entry=four, at=at(0, 13), attempt_number=3)

    # min_gap: 30 minutes after a call of another campaign (60 required)
    five = noticed(mine)
    past_attempt(entry=noticed(theirs, customer=five.customer), at=at(1, 10), attempt_number=1)
    planted["min_gap"] = past_attempt(entry=five, at=at(1, 10, 30), attempt_number=1)

    # cap: a fifth call in 7 days across campaigns (4 allowed)
    six = noticed(mine)
    six_there = noticed(theirs, customer=six.customer)
    for day, number in ((0, 1), (1, 2), (2, 3)):
        past_attempt(entry=six_there, at=at(day, 10), attempt_number=number)
    past_attempt(entry=six, at=at(3, 10), attempt_number=1)
    planted["cap"] = past_attempt(entry=six, at=at(4, 10), attempt_number=2)

    # cool_off: a call the day after a conversation in another campaign (3 days)
    seven = noticed(mine)
    past_attempt(entry=noticed(theirs, customer=seven.customer), at=at(1, 10), code="success", attempt_number=1)
    planted["cool_off"] = past_attempt(entry=seven, at=at(2, 10), attempt_number=1)

    # refusal: a call after a refusal in this campaign (the refusal itself is no breach)
    eight = noticed(mine)
    past_attempt(entry=eight, at=at(0, 10), code="refused", attempt_number=1)
    later = noticed(ready_list(campaign), customer=eight.customer)
    planted["refusal"] = past_attempt(entry=later, at=at(8, 10), attempt_number=1)

    # prenotice: no notice for this customer
    planted["prenotice"] = past_attempt(entry=entry(mine), at=at(0, 15), attempt_number=1)
    # ... or one sent too late (2 days before the call, 3 required)
    late = entry(mine)
    PreNotice.objects.create(customer=late.customer, campaign=campaign, sent_on=MONDAY - dt.timedelta(days=2))
    planted["prenotice_late"] = past_attempt(entry=late, at=at(0, 15), attempt_number=1)

    rows, report = report_of(campaign)
    expected = {
        "dnc": {planted["dnc"].pk, planted["dnc_customer"].pk},
        "window": {planted["window"].pk, planted["window_ny"].pk},
        "weekday_holiday": {planted["weekday"].pk, planted["holiday"].pk},
        "max_attempts": {planted["max_attempts"].pk, planted["max_attempts_counter"].pk},
        "max_per_day": {planted["max_per_day"].pk},
        "min_gap": {planted["min_gap"].pk},
        "cap": {planted["cap"].pk},
        "cool_off": {planted["cool_off"].pk},
        "refusal": {planted["refusal"].pk},
        "disclosure": set(),
        "prenotice": {planted["prenotice"].pk, planted["prenotice_late"].pk},
    }
    assert {rule: set(row["examples"]) for rule, row in rows.items()} == expected
    assert {rule: row["violations"] for rule, row in rows.items()} == {k: len(v) for k, v in expected.items()}
    assert report.attempts_checked == CallAttempt.objects.filter(campaign=campaign).count()
    # the period bounds the attempts checked (dates in the center's time zone)
    rows, report = report_of(campaign, first=MONDAY + dt.timedelta(days=1), last=MONDAY + dt.timedelta(days=1))
    assert (
        report.attempts_checked
        == CallAttempt.objects.filter(campaign=campaign, started_at__gte=at(1, 0), started_at__lt=at(2, 0)).count()
    )
    assert set(rows["window"]["examples"]) == {planted["window_ny"].pk}


def test_a_violation_planted_by_rewriting_history_is_found(setup):
    """A stored attempt moved to 03:00 (where the history guard lets only a reasoned change)."""
    campaign, other, mine, theirs = setup
    attempt = past_attempt(entry=noticed(mine), at=at(0, 10), attempt_number=1)
    assert report_of(campaign)[0]["window"]["violations"] == 0
    with history_change("test: plant a call at night"), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE campaigns_callattempt SET started_at = %s, ended_at = %s WHERE id = %s",
            [at(0, 3), at(0, 3, 2), attempt.pk],
        )
    assert report_of(campaign)[0]["window"]["examples"] == [attempt.pk]


def test_an_unknown_time_zone_is_always_outside_the_window(setup):
    campaign, other, mine, theirs = setup
    lost = noticed(mine, customer=CustomerFactory(time_zone="Mars/Olympus"))
    attempt = past_attempt(entry=lost, at=at(0, 10), attempt_number=1)
    assert report_of(campaign)[0]["window"]["examples"] == [attempt.pk]


def test_a_campaign_worked_through_dispatch_reports_zero_everywhere(reference_data, operator):
    from campaigns.models import Disposition

    policy = strict_policy(
        call_window_start=dt.time(0),
        call_window_end=dt.time(0),
        weekdays=list(range(7)),
        skip_holidays=False,
        max_attempts_per_day=2,
        min_gap_minutes=0,
    )
    campaign = CampaignFactory(policy=policy, status=Campaign.Status.ACTIVE, operators=[operator], prenotice_days=1)
    call_list = ready_list(campaign)
    for _ in range(6):
        noticed(call_list)
    start = dt.datetime(2026, 11, 16, 9, tzinfo=TOKYO)
    codes = ["no_answer", "refused", "success", "busy", "no_answer", "dnc_request"]
    calls = 0
    for step in range(24):
        now = start + dt.timedelta(hours=5 * step)
        held = dispatch_next(operator=operator, now=now)
        if held is None:
            continue
        record_outcome(
            entry=held,
            operator=operator,
            disposition=Disposition.objects.get(code=codes[step % len(codes)]),
            started_at=now,
            ended_at=now + dt.timedelta(minutes=2),
            now=now + dt.timedelta(minutes=2),
        )
        calls += 1
    assert calls >= 10
    rows, report = report_of(campaign, first=dt.date(2026, 11, 15), last=dt.date(2026, 11, 22))
    assert report.attempts_checked == calls
    assert {rule: row["violations"] for rule, row in rows.items()} == dict.fromkeys(RULES, 0)


def test_a_blackout_date_and_a_conversation_without_the_disclosure_are_reported(reference_data):
    """The policy's own blackout dates count as closed days, and with the disclosure required a
    conversation logged without it confirmed is a violation (a no-answer needs none)."""
    policy = strict_policy(
        blackout_dates=[{"from": "11-18", "to": "11-18", "label": "創立記念日"}], disclosure_required=True
    )
    campaign = CampaignFactory(policy=policy, status=Campaign.Status.ACTIVE)
    call_list = ready_list(campaign)
    on_blackout = past_attempt(entry=entry(call_list), at=at(2, 10), attempt_number=1)  # Wednesday 18th
    undisclosed = past_attempt(entry=entry(call_list), at=at(1, 10), code="success", attempt_number=1)
    past_attempt(entry=entry(call_list), at=at(1, 11), code="success", attempt_number=1, disclosure_confirmed=True)
    past_attempt(entry=entry(call_list), at=at(1, 12), code="no_answer", attempt_number=1)
    rows, report = report_of(campaign)
    assert rows["weekday_holiday"]["examples"] == [on_blackout.pk]
    assert rows["disclosure"]["examples"] == [undisclosed.pk]
    assert report.attempts_checked == 4


def test_a_policy_change_after_a_call_does_not_change_its_verdict(setup):
    """Each call is judged by the policy version in force when it was logged."""
    campaign, other, mine, theirs = setup
    late_evening = past_attempt(entry=noticed(mine), at=at(0, 20, 30), attempt_number=1)
    one = noticed(mine)
    past_attempt(entry=one, at=at(1, 9), attempt_number=1)
    second = past_attempt(entry=one, at=at(1, 11), attempt_number=2)
    before = report_of(campaign)[0]
    assert before["window"]["examples"] == [late_evening.pk] and before["max_per_day"]["violations"] == 0
    policy = campaign.policy
    policy.call_window_end = dt.time(21, 0)  # the evening call would now be allowed ...
    policy.max_attempts_per_day = 1  # ... and the second call of the day would not
    policy.save()
    after = report_of(campaign)[0]
    assert after["window"]["examples"] == [late_evening.pk]
    assert after["max_per_day"]["violations"] == 0 and second.pk not in after["max_per_day"]["examples"]
    # a call logged under the new version is judged by it
    past_attempt(entry=noticed(mine), at=at(2, 20, 30), attempt_number=1)
    third_day = noticed(mine)
    past_attempt(entry=third_day, at=at(2, 9), attempt_number=1)
    over = past_attempt(entry=third_day, at=at(2, 11), attempt_number=2)
    now = report_of(campaign)[0]
    assert now["window"]["examples"] == [late_evening.pk]
    assert now["max_per_day"]["examples"] == [over.pk]


def test_an_attempt_logged_after_later_ones_carries_the_violation_it_causes(setup):
    """Planted late (started earlier than calls already stored): the counts and the next call it
    stores include the later calls, so the planted attempt itself is reported."""
    campaign, other, mine, theirs = setup
    one = noticed(mine)
    past_attempt(entry=one, at=at(0, 9), attempt_number=1)
    past_attempt(entry=one, at=at(0, 13), attempt_number=2)
    crowded = noticed(mine)
    past_attempt(entry=noticed(theirs, customer=crowded.customer), at=at(2, 15), attempt_number=1, code="success")
    assert {rule: row["violations"] for rule, row in report_of(campaign)[0].items()} == dict.fromkeys(RULES, 0)
    planted = past_attempt(entry=one, at=at(0, 12, 30), attempt_number=3)  # 30 minutes before the 13:00 call
    conversation = past_attempt(entry=crowded, at=at(2, 10), attempt_number=1, code="success")  # 5 h before one
    rows = report_of(campaign)[0]
    assert rows["min_gap"]["examples"] == [planted.pk]
    assert rows["max_per_day"]["examples"] == [planted.pk]  # the third call of that day
    assert rows["cool_off"]["examples"] == [conversation.pk]
    assert rows["max_attempts"]["violations"] == 0


def test_the_report_reads_the_campaign_through_its_covering_index(setup):
    """The plan's shape: the campaign's attempts come from an index range scan on the campaign,
    never a scan of the whole table (every other rule reads the attempt's own stored facts)."""
    import json

    from campaigns.selectors.compliance import _parameters, report_sql

    campaign, other, mine, theirs = setup
    customers = [noticed(mine).customer_id for _ in range(3)]
    with connection.cursor() as cursor:
        # 30,000 attempts of another campaign, 300 of this one, an hour apart (set-based, facts by
        # the set-based function, as the benchmark's generator does; minutes apart, each of the
        # three customers' cap windows held thousands of calls and the fill took minutes)
        cursor.execute("SET LOCAL session_replication_role = replica")  # no per-row triggers
        cursor.execute(
            """
            INSERT INTO campaigns_callattempt (campaign_id, customer_id, phone, attempt_number, started_at, ended_at,
                ring_seconds, talk_seconds, hold_seconds, acw_seconds, disposition_id, reaction, notes,
                callback_personal,
                answers, disclosure_confirmed, is_contact, is_success, is_final, is_refusal, adds_dnc, is_callback,
                created_at)
            SELECT CASE WHEN g %% 100 = 0 THEN %s ELSE %s END, (%s::bigint[])[1 + g %% 3], '+81312345678', 1,
                   %s::timestamptz + make_interval(hours => g), %s::timestamptz + make_interval(hours => g, mins => 1),
                   0, 0, 0, 0, (SELECT id FROM campaigns_disposition WHERE code = 'no_answer'), '', '', false,
                   '{}', false, false, false, false, false, false, false, now()
            FROM generate_series(1, 30000) g
            """,
            [campaign.pk, other.pk, customers, at(0, 0), at(0, 0)],
        )
        cursor.execute("SET LOCAL session_replication_role = origin")
        with history_change("test: fill the facts"):
            cursor.execute(
                "UPDATE campaigns_callattempt a SET policy_version_id = f.policy_version_id, local_date = f.local_date,"
                " local_time = f.local_time FROM campaigns_attempt_facts_all() f WHERE f.id = a.id"
            )
        cursor.execute("ANALYZE campaigns_callattempt")
        zone = TOKYO
        params = _parameters(
            campaign,
            dt.datetime.combine(MONDAY, dt.time.min, tzinfo=zone),
            dt.datetime.combine(MONDAY + dt.timedelta(days=30), dt.time.min, tzinfo=zone),
        )
        cursor.execute("EXPLAIN (FORMAT JSON) " + report_sql(params["terms"]), params)
        document = cursor.fetchone()[0]
    plan = (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]

    def walk(node):
        yield node
        for child in node.get("Plans", []):
            yield from walk(child)

    # (the attempts are partitioned by month: each scan is of one partition)
    scans = [node for node in walk(plan) if node.get("Relation Name", "").startswith("campaigns_callattempt")]
    # (a test transaction cannot VACUUM: without the visibility map the planner may take another
    # index on the campaign; the benchmark, vacuumed, reads attempt_campaign_time index-only)
    assert scans and all(
        node["Node Type"] in ("Index Only Scan", "Index Scan") and "campaign_id = " in node.get("Index Cond", "")
        for node in scans
    ), json.dumps(plan, indent=1)


def test_a_change_of_the_campaigns_terms_after_a_call_does_not_change_its_verdict(reference_data):
    """Each call is judged by the campaign's terms at the moment it started: its product (the
    refusal scope's key) and pre-notice days. A change writes a new version (kept, not editable)."""
    from django.db import DatabaseError, transaction

    from campaigns.models import CampaignTermsVersion

    policy = strict_policy(refusal_scope="product")
    campaign = CampaignFactory(
        policy=policy, status=Campaign.Status.ACTIVE, company="東京光商事", product="光回線", prenotice_days=3
    )
    sister = CampaignFactory(policy=policy, company="東京光商事", product="光回線")
    refused = entry(ready_list(sister))
    past_attempt(entry=refused, at=at(0, 10), code="refused", attempt_number=1)
    after_refusal = past_attempt(
        entry=noticed(ready_list(campaign), customer=refused.customer), at=at(1, 10), attempt_number=1
    )
    unnoticed = past_attempt(entry=entry(ready_list(campaign)), at=at(1, 11), attempt_number=1)
    before = report_of(campaign)[0]
    assert before["refusal"]["examples"] == [after_refusal.pk]
    assert before["prenotice"]["examples"] == [unnoticed.pk]

    campaign.product = "電気"  # the refusal of 光回線 would no longer be in scope ...
    campaign.prenotice_days = None  # ... and no notice would be needed
    campaign.save()
    versions = list(CampaignTermsVersion.objects.filter(campaign=campaign).order_by("number"))
    assert [(v.number, v.product, v.prenotice_days) for v in versions] == [(1, "光回線", 3), (2, "電気", None)]
    after = report_of(campaign)[0]
    assert after["refusal"]["examples"] == [after_refusal.pk]
    assert after["prenotice"]["examples"] == [unnoticed.pk]
    with pytest.raises(DatabaseError), transaction.atomic():
        CampaignTermsVersion.objects.filter(pk=versions[0].pk).update(prenotice_days=None)

    # Calls after a change are judged by the new terms (a version in force from day 3, as the
    # trigger writes it when the change is made then).
    CampaignTermsVersion.objects.create(
        campaign=campaign, number=3, created_at=at(3, 0), company="東京光商事", product="電気", prenotice_days=None
    )
    past_attempt(entry=noticed(ready_list(campaign), customer=refused.customer), at=at(4, 10), attempt_number=1)
    past_attempt(entry=entry(ready_list(campaign)), at=at(4, 11), attempt_number=1)
    rows = report_of(campaign)[0]
    assert rows["refusal"]["examples"] == [after_refusal.pk]
    assert rows["prenotice"]["examples"] == [unnoticed.pk]


def test_a_campaign_without_a_terms_version_is_judged_by_its_terms_as_they_are(reference_data):
    """A campaign row written around its trigger (a bulk load with the triggers off) has no terms
    version: the report takes its product and pre-notice days from the campaign row itself."""
    from campaigns.models import CampaignTermsVersion

    policy = strict_policy(refusal_scope="product")
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            campaign = CampaignFactory(
                policy=policy, status=Campaign.Status.ACTIVE, company="東京光商事", product="光回線", prenotice_days=3
            )
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")
    assert not CampaignTermsVersion.objects.filter(campaign=campaign).exists()
    sister = CampaignFactory(policy=policy, company="東京光商事", product="光回線")
    refused = entry(ready_list(sister))
    past_attempt(entry=refused, at=at(0, 10), code="refused", attempt_number=1)
    after_refusal = past_attempt(
        entry=noticed(ready_list(campaign), customer=refused.customer), at=at(1, 10), attempt_number=1
    )
    unnoticed = past_attempt(entry=entry(ready_list(campaign)), at=at(1, 11), attempt_number=1)
    noticed_in_time = past_attempt(entry=noticed(ready_list(campaign)), at=at(1, 12), attempt_number=1)

    rows, report = report_of(campaign)
    assert report.attempts_checked == 3
    assert rows["refusal"]["examples"] == [after_refusal.pk]
    assert rows["prenotice"]["examples"] == [unnoticed.pk]
    assert noticed_in_time.pk not in {pk for row in rows.values() for pk in row["examples"]}


def test_a_notice_recorded_changed_or_deleted_after_the_calls_is_what_the_report_reads(setup):
    """Each attempt stores the first notice of its pair (customer, campaign) as the notices say
    now: a notice recorded later with an earlier date, a change of its date and its deletion all
    reach the calls already logged, and nothing else may write that column."""
    from django.db import DatabaseError, transaction

    campaign, _other, mine, _theirs = setup
    call = past_attempt(entry=entry(mine), at=at(1, 10), attempt_number=1)
    assert call.first_notice_on is None
    assert report_of(campaign)[0]["prenotice"]["examples"] == [call.pk]

    late = PreNotice.objects.create(customer=call.customer, campaign=campaign, sent_on=MONDAY - dt.timedelta(days=2))
    call.refresh_from_db()
    assert call.first_notice_on == MONDAY - dt.timedelta(days=2)  # sent 3 days before the call: in time
    assert report_of(campaign)[0]["prenotice"]["violations"] == 0

    PreNotice.objects.filter(pk=late.pk).update(sent_on=MONDAY)  # only a day before: too late
    call.refresh_from_db()
    assert call.first_notice_on == MONDAY
    assert report_of(campaign)[0]["prenotice"]["examples"] == [call.pk]

    with pytest.raises(DatabaseError), transaction.atomic():
        CallAttempt.objects.filter(pk=call.pk).update(first_notice_on=MONDAY - dt.timedelta(days=30))
    with pytest.raises(DatabaseError), transaction.atomic():
        CallAttempt.objects.filter(pk=call.pk).update(first_notice_on=MONDAY, notes="changed")
    with pytest.raises(DatabaseError), transaction.atomic():  # the value it has: no change, refused as ever
        CallAttempt.objects.filter(pk=call.pk).update(first_notice_on=MONDAY)

    PreNotice.objects.filter(pk=late.pk).delete()
    call.refresh_from_db()
    assert call.first_notice_on is None
    assert report_of(campaign)[0]["prenotice"]["examples"] == [call.pk]


def test_the_pre_notice_counts_from_the_centers_midnight(setup):
    """A notice sent N days before counts from 00:00 of the center's day N days after it: a call
    a minute before is reported, a call at that midnight is not."""
    campaign, _other, mine, _theirs = setup
    sent_on = MONDAY - dt.timedelta(days=2)  # prenotice_days 3: calls from Tuesday 00:00 Tokyo
    early = past_attempt(entry=entry(mine), at=at(0, 23, 59), attempt_number=1)
    on_time = past_attempt(entry=entry(mine), at=at(1, 0, 0), attempt_number=1)
    for call in (early, on_time):
        PreNotice.objects.create(customer=call.customer, campaign=campaign, sent_on=sent_on)
    rows = report_of(campaign)[0]
    assert rows["prenotice"]["examples"] == [early.pk]
