"""Setup pages through the Django test client: forms, messages, role checks, CSV export."""

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from callcenter.models import AuditEvent
from campaigns.models import CallingPolicy, CallList, Campaign, Disposition, OperatorProfile, PreNotice
from campaigns.services.policies import ensure_preset_policies
from campaigns.tests.factories import (
    CallingPolicyFactory,
    CallListEntryFactory,
    CallListFactory,
    CampaignFactory,
    make_ready_to_go,
)
from contacts.phones import format_national
from contacts.tests.factories import CustomerFactory, DoNotCallFactory, SegmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sv(login, supervisor):
    return login(supervisor)


def test_pages_need_the_supervisor_role(login, operator, manager, supervisor):
    campaign = CampaignFactory()
    call_list = CallListFactory(campaign=campaign)
    urls = [
        reverse("campaigns:campaign_list"),
        reverse("campaigns:campaign_create"),
        reverse("campaigns:campaign_detail", args=[campaign.pk]),
        reverse("campaigns:campaign_edit", args=[campaign.pk]),
        reverse("campaigns:list_create", args=[campaign.pk]),
        reverse("campaigns:list_detail", args=[call_list.pk]),
        reverse("campaigns:prenotice_list", args=[campaign.pk]),
        reverse("campaigns:policy_list"),
        reverse("campaigns:policy_create"),
        reverse("campaigns:disposition_list"),
        reverse("campaigns:disposition_create"),
        reverse("campaigns:operator_list"),
    ]
    for user in (operator, manager):
        client = login(user)
        for url in urls:
            assert client.get(url).status_code == 403, url
    client = login(supervisor)
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_empty_pages_say_what_to_do_next(sv):
    """Nothing yet: each setup page says so (and what to do) instead of showing a bare table."""
    CallingPolicy.objects.all().delete()
    pages = {
        reverse("campaigns:campaign_list"): "No campaigns yet. Create one to start calling.",
        reverse("campaigns:policy_list"): "No calling policy yet.",
        reverse("campaigns:operator_list"): "No operator accounts yet.",
    }
    for url, message in pages.items():
        page = sv.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert 'class="empty-state' in page and message in page, url
    campaign = CampaignFactory()
    call_list = CallListFactory(campaign=campaign)
    pages = {
        reverse("campaigns:prenotice_list", args=[campaign.pk]): "No pre-notice recorded yet.",
        reverse("campaigns:list_detail", args=[call_list.pk]): "No entries here.",
    }
    for url, message in pages.items():
        page = sv.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert 'class="empty-state' in page and message in page, url
    call_list.delete()
    page = sv.get(reverse("campaigns:campaign_detail", args=[campaign.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No call list yet. Build one from a segment." in page and "No operator assigned." in page


def test_destructive_actions_ask_for_confirmation_first(sv):
    """Finishing a campaign, closing a list and recycling ask before they post (static/js/app.js
    reads data-confirm; the recycle browser test shows a dismissed dialog changes nothing)."""
    campaign = CampaignFactory(status=Campaign.Status.ACTIVE)
    call_list = CallListFactory(campaign=campaign)
    detail = sv.get(reverse("campaigns:campaign_detail", args=[campaign.pk])).content.decode()
    finish = reverse("campaigns:campaign_transition", args=[campaign.pk, "finish"])
    assert re.search(rf'<form[^>]*action="{re.escape(finish)}"[^>]*data-confirm="[^"]+"', detail)
    page = sv.get(reverse("campaigns:list_detail", args=[call_list.pk])).content.decode()
    close = reverse("campaigns:list_transition", args=[call_list.pk, "close"])
    assert re.search(rf'<form[^>]*action="{re.escape(close)}"[^>]*data-confirm="[^"]+"', page)
    recycle = reverse("campaigns:list_recycle", args=[call_list.pk])
    assert re.search(rf'<form[^>]*action="{re.escape(recycle)}"[^>]*data-confirm="[^"]+"', page)


def test_create_a_campaign_and_walk_its_status(sv, operator):
    ensure_preset_policies()  # seeded by a data migration; transactional tests flush it
    policy = CallingPolicy.objects.get(name="Japan standard")
    response = sv.post(
        reverse("campaigns:campaign_create"),
        {
            "name": "DMフォロー 秋",
            "purpose": "dm_followup",
            "policy": policy.pk,
            "operators": [operator.pk],
            "cost_per_hour": "1800",
            "cost_per_minute": "3",
            "fixed_cost": "0",
        },
    )
    campaign = Campaign.objects.get(name="DMフォロー 秋")
    assert response.url == reverse("campaigns:campaign_detail", args=[campaign.pk])
    page = sv.get(response.url).content.decode()
    assert 'data-testid="activation-problems"' in page
    response = sv.post(reverse("campaigns:campaign_transition", args=[campaign.pk, "activate"]), follow=True)
    assert Campaign.objects.get(pk=campaign.pk).status == "draft"
    assert "alert-danger" in response.content.decode()
    make_ready_to_go(campaign)
    sv.post(reverse("campaigns:campaign_transition", args=[campaign.pk, "activate"]))
    assert Campaign.objects.get(pk=campaign.pk).status == "active"


def test_campaign_form_keeps_input_on_errors(sv):
    response = sv.post(
        reverse("campaigns:campaign_create"),
        {
            "name": "期間エラー",
            "purpose": "sales",
            "starts_on": "2030-05-01",
            "ends_on": "2030-04-01",
            "cost_per_hour": "0",
            "cost_per_minute": "0",
            "fixed_cost": "0",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "期間エラー" in page and "is-invalid" in page
    assert not Campaign.objects.filter(name="期間エラー").exists()


def test_campaign_form_refuses_what_the_api_refuses(sv):
    """Negative costs made the campaign's CPC negative, and a pre-notice rule of a million days
    overflowed the build's date arithmetic (the list preview was a 500); the API refused both."""
    base = {"name": "範囲外", "purpose": "sales", "cost_per_hour": "0", "cost_per_minute": "0", "fixed_cost": "0"}
    for field, value in [
        ("cost_per_hour", "-1800"),
        ("cost_per_minute", "-3"),
        ("fixed_cost", "-1"),
        ("prenotice_days", "1000000"),
    ]:
        response = sv.post(reverse("campaigns:campaign_create"), {**base, field: value})
        assert response.status_code == 200 and field in response.context["form"].errors, field
    assert not Campaign.objects.filter(name="範囲外").exists()
    response = sv.post(reverse("campaigns:campaign_create"), {**base, "prenotice_days": "3660"})
    assert response.status_code == 302 and Campaign.objects.get(name="範囲外").prenotice_days == 3660


def test_an_active_campaign_keeps_its_policy(sv, operator):
    """Without a policy dispatch passed the campaign over and told its operators there was no list."""
    campaign = CampaignFactory(status=Campaign.Status.ACTIVE, policy=CallingPolicyFactory(), operators=[operator])
    response = sv.post(
        reverse("campaigns:campaign_edit", args=[campaign.pk]),
        {
            "name": campaign.name,
            "purpose": campaign.purpose,
            "policy": "",
            "operators": [operator.pk],
            "cost_per_hour": "0",
            "cost_per_minute": "0",
            "fixed_cost": "0",
        },
    )
    assert response.status_code == 200 and "policy" in response.context["form"].errors
    campaign.refresh_from_db()
    assert campaign.policy_id is not None


def test_policy_from_a_preset_with_retry_delays(sv):
    page = sv.get(reverse("campaigns:policy_create") + "?preset=us_collections_reg_f").content.decode()
    assert 'value="08:00"' in page and 'value="21:00"' in page
    data = {
        "name": "US collections (West)",
        "call_window_start": "08:00",
        "call_window_end": "21:00",
        "weekdays": ["0", "1", "2", "3", "4", "5", "6"],
        "holiday_country": "US",
        "max_attempts": "7",
        "max_attempts_per_day": "2",
        "min_gap_minutes": "60",
        "cap_attempts": "7",
        "cap_days": "7",
        "cooloff_days_after_contact": "7",
        "retry_no_answer": "90",
    }
    response = sv.post(reverse("campaigns:policy_create"), data)
    assert response.status_code == 302
    policy = CallingPolicy.objects.get(name="US collections (West)")
    assert policy.retry_delays == {"no_answer": 90} and policy.weekdays == [0, 1, 2, 3, 4, 5, 6]
    assert not policy.no_resolicit_after_refusal
    bad = sv.post(
        reverse("campaigns:policy_create"), {**data, "name": "bad", "call_window_end": "07:00", "cap_days": ""}
    )
    assert bad.status_code == 200
    assert bad.context["form"].errors.keys() >= {"call_window_end", "cap_days"}
    # A country code typed in lower case is the same calendar (as in the API).
    lower = sv.post(reverse("campaigns:policy_create"), {**data, "name": "US (lower case)", "holiday_country": "us"})
    assert lower.status_code == 302
    assert CallingPolicy.objects.get(name="US (lower case)").holiday_country == "US"


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_policy_form_explains_every_field_in_plain_words(sv, language):
    """Each setting says on the page what it does to the calls (weekdays and the description are
    self-explanatory), in the page's language."""
    from django.utils import translation

    from campaigns.forms.setup import PolicyForm

    page = sv.get(reverse("campaigns:policy_create"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    with translation.override(language):
        form = PolicyForm()
        for name, field in form.fields.items():
            if name in ("weekdays", "description") or field.widget.is_hidden:
                continue
            help_text = str(field.help_text)
            assert help_text, name
            assert help_text in page or escape(help_text) in page, name
            if language == "ja":
                assert not help_text.isascii(), f"{name}: no Japanese explanation"


def test_supervisor_adds_an_outcome(sv):
    response = sv.post(
        reverse("campaigns:disposition_create"),
        {
            "code": "site_visit",
            "label": "Site visit",
            "label_ja": "訪問約束",
            "is_contact": "on",
            "is_success": "on",
            "is_final": "on",
            "position": "200",
            "active": "on",
        },
    )
    assert response.status_code == 302
    disposition = Disposition.objects.get(code="site_visit")
    assert disposition.is_success and disposition.is_final and not disposition.adds_dnc
    assert AuditEvent.objects.filter(action="disposition.created").exists()
    # A retry delay past a year overflowed the next attempt's time when the outcome was logged.
    too_long = sv.post(
        reverse("campaigns:disposition_create"),
        {
            "code": "later",
            "label": "Later",
            "label_ja": "後日",
            "retry_delay_minutes": str(10**9),
            "position": "210",
        },
    )
    assert too_long.status_code == 200 and "retry_delay_minutes" in too_long.context["form"].errors
    assert not Disposition.objects.filter(code="later").exists()


def test_preview_build_recycle_and_export(sv, supervisor):
    campaign = CampaignFactory(policy=CallingPolicyFactory())
    segment = SegmentFactory(criteria={"match": "all", "rules": [{"field": "tag", "op": "eq", "value": "vip"}]})
    CustomerFactory(tags=["vip"], name="山田 花子")  # kept
    blocked = CustomerFactory(tags=["vip"])
    DoNotCallFactory(customer=blocked, phone_number="")
    url = reverse("campaigns:list_create", args=[campaign.pk])
    form = {"name": "VIP 1", "segment": segment.pk, "order_by": "recent_purchase", "priority": "0"}
    preview = sv.post(url, {**form, "preview": "1"}, HTTP_HX_REQUEST="true")
    assert preview.context["counts"]["included"] == 1 and preview.context["counts"]["excluded"]["dnc"] == 1
    assert not CallList.objects.exists()
    response = sv.post(url, form)
    call_list = CallList.objects.get()
    assert response.url == reverse("campaigns:list_detail", args=[call_list.pk])
    page = sv.get(response.url).content.decode()
    assert "山田 花子" in page and 'data-reason="dnc"' in page
    entry = call_list.entries.get()
    entry.status, entry.last_disposition, entry.attempts = "exhausted", Disposition.objects.get(code="no_answer"), 6
    entry.save()
    sv.post(reverse("campaigns:list_recycle", args=[call_list.pk]), {"dispositions": ["no_answer"]})
    entry.refresh_from_db()
    assert entry.status == "pending"
    refused = sv.post(
        reverse("campaigns:list_recycle", args=[call_list.pk]), {"dispositions": ["refused"]}, follow=True
    )
    assert "alert-danger" in refused.content.decode()
    export = sv.get(reverse("campaigns:list_export", args=[call_list.pk]))
    body = b"".join(export.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig").splitlines()
    assert text[0].startswith("rank,external_id,name,phone") and "山田 花子" in text[1]
    assert text[1].split(",")[3] == format_national(entry.phone), "numbers as people dial them"
    entry.customer.name = '=HYPERLINK("http://evil.example","x")'
    entry.customer.save()
    export = sv.get(reverse("campaigns:list_export", args=[call_list.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert rows[1][2] == '\'=HYPERLINK("http://evil.example","x")', "a formula is made plain text"
    assert AuditEvent.objects.filter(action="list.exported", actor=supervisor).exists()


def test_invalid_list_requests_keep_the_form(sv):
    campaign = CampaignFactory(policy=CallingPolicyFactory())
    url = reverse("campaigns:list_create", args=[campaign.pk])
    response = sv.post(url, {"name": "x", "criteria": "{not json", "order_by": "recent_purchase", "priority": "0"})
    assert response.status_code == 200 and "criteria" in response.context["form"].errors
    response = sv.post(
        url,
        {
            "name": "x",
            "criteria": '{"match": "all", "rules": [{"field": "zzz", "op": "eq", "value": 1}]}',
            "order_by": "recent_purchase",
            "priority": "0",
        },
    )
    assert "criteria" in response.context["form"].errors
    response = sv.post(url, {"name": "x", "order_by": "recent_purchase", "priority": "0", "preview": "1"})
    assert 'data-testid="preview-errors"' in response.content.decode()
    assert not CallList.objects.exists()


def test_a_list_priority_beyond_the_database_integer_is_a_form_error(sv):
    """CallList.priority is a PostgreSQL integer: a bigger number failed the INSERT (a 500)."""
    campaign = CampaignFactory(policy=CallingPolicyFactory())
    url = reverse("campaigns:list_create", args=[campaign.pk])
    for priority in (str(2**31), str(-(2**31) - 1)):
        response = sv.post(
            url,
            {
                "name": "x",
                "criteria": '{"match": "all", "rules": []}',
                "order_by": "recent_purchase",
                "priority": priority,
            },
        )
        assert response.status_code == 200 and "priority" in response.context["form"].errors
    assert not CallList.objects.exists()


def test_list_pause_resume_and_entries_by_status(sv):
    call_list = CallListFactory()
    CallListEntryFactory(call_list=call_list)
    CallListEntryFactory(call_list=call_list, status="done")
    sv.post(reverse("campaigns:list_transition", args=[call_list.pk, "pause"]))
    assert CallList.objects.get(pk=call_list.pk).status == "paused"
    sv.post(reverse("campaigns:list_transition", args=[call_list.pk, "resume"]))
    assert CallList.objects.get(pk=call_list.pk).status == "ready"
    page = sv.get(reverse("campaigns:list_detail", args=[call_list.pk]) + "?status=done")
    assert len(page.context["page"].object_list) == 1


def test_list_entries_show_numbers_as_dialed_and_find_them_in_any_format(sv):
    call_list = CallListFactory()
    mine = CallListEntryFactory(call_list=call_list, phone="+819030756217")
    CallListEntryFactory(call_list=call_list, phone="+818011112222")
    url = reverse("campaigns:list_detail", args=[call_list.pk])
    page = sv.get(url).content.decode()
    assert "090-3075-6217" in page and "+819030756217" not in page
    for typed in ("090-3075-6217", "09030756217", "０９０ー３０７５ー６２１７", "+81 90 3075 6217"):
        found = sv.get(url, {"q": typed}).context["page"].object_list
        assert [e.pk for e in found] == [mine.pk], typed


def test_progress_fragment_refreshes_the_page_when_done(sv):
    building = CallListFactory(status=CallList.Status.BUILDING, progress=10)
    response = sv.get(reverse("campaigns:list_progress", args=[building.pk]))
    assert "HX-Refresh" not in response and 'data-testid="build-progress"' in response.content.decode()
    ready = CallListFactory()
    assert sv.get(reverse("campaigns:list_progress", args=[ready.pk]))["HX-Refresh"] == "true"


def test_prenotices_by_hand_and_by_csv(sv):
    campaign = CampaignFactory(prenotice_days=3)
    a, b = CustomerFactory(external_id="K001"), CustomerFactory(external_id="K002")
    url = reverse("campaigns:prenotice_list", args=[campaign.pk])
    sv.post(url, {"one-external_id": "K001", "one-channel": "dm", "one-sent_on": "2030-01-10"})
    assert PreNotice.objects.filter(customer=a, campaign=campaign, sent_on=datetime.date(2030, 1, 10)).exists()
    unknown = sv.post(url, {"one-external_id": "NOPE", "one-channel": "dm", "one-sent_on": "2030-01-10"})
    assert "external_id" in unknown.context["form"].errors
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv_bytes = (
        "external_id,sent_on,channel\nK001,2030-01-10,dm\nK002,2030/01/12,sms\nZZZ,2030-01-12,dm\nK002,bad,dm\n".encode(
            "cp932"
        )
    )
    response = sv.post(url, {"csv-file": SimpleUploadedFile("notices.csv", csv_bytes)}, follow=True)
    assert PreNotice.objects.filter(campaign=campaign).count() == 2
    assert PreNotice.objects.get(customer=b).channel == "sms"
    page = response.content.decode()
    assert "ZZZ" in page and "bad" in page


def test_operator_skills(sv, operator):
    sv.post(reverse("campaigns:operator_list"), {"operator": operator.pk, "skills": "collections, veteran、 veteran"})
    assert OperatorProfile.objects.get(user=operator).skills == ["collections", "veteran"]


def test_every_setup_change_is_audited_with_who_did_it(sv, supervisor, operator):
    """Rule 6 for setup: each change made through the pages leaves an event naming the supervisor
    and the object (only a few of these actions had a test)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    ensure_preset_policies()
    sv.post(
        reverse("campaigns:policy_create"),
        {
            "name": "平日のみ",
            "call_window_start": "09:00",
            "call_window_end": "18:00",
            "weekdays": [0, 1, 2, 3, 4],
            "holiday_country": "JP",
            "skip_holidays": "on",
            "max_attempts": "5",
            "max_attempts_per_day": "2",
            "min_gap_minutes": "60",
        },
    )
    policy = CallingPolicy.objects.get(name="平日のみ")
    base = {
        "name": "到着確認 1月",
        "purpose": "delivery",
        "policy": policy.pk,
        "operators": [operator.pk],
        "cost_per_hour": "1800",
        "cost_per_minute": "3",
        "fixed_cost": "0",
    }
    sv.post(reverse("campaigns:campaign_create"), base)
    campaign = Campaign.objects.get(name="到着確認 1月")
    sv.post(reverse("campaigns:campaign_edit", args=[campaign.pk]), {**base, "prenotice_days": "0"})
    customer = CustomerFactory(external_id="D001", tags=["arrived"])
    url = reverse("campaigns:prenotice_list", args=[campaign.pk])
    sv.post(url, {"one-external_id": "D001", "one-channel": "sms", "one-sent_on": "2020-01-10"})
    sv.post(url, {"csv-file": SimpleUploadedFile("n.csv", b"external_id,sent_on\nD001,2020-01-11\n")})
    sv.post(
        reverse("campaigns:list_create", args=[campaign.pk]),
        {
            "name": "到着 1",
            "criteria": '{"match": "all", "rules": [{"field": "tag", "op": "eq", "value": "arrived"}]}',
            "order_by": "recent_purchase",
            "priority": "0",
        },
    )
    call_list = CallList.objects.get(campaign=campaign)
    assert call_list.entries.get().customer == customer
    for action in ("pause", "resume", "close"):
        sv.post(reverse("campaigns:list_transition", args=[call_list.pk, action]))
    sv.post(reverse("campaigns:operator_list"), {"operator": operator.pk, "skills": "veteran"})
    make_ready_to_go(campaign)  # an open list with someone to call and a script, so the campaign can start
    for action in ("activate", "pause", "finish"):
        sv.post(reverse("campaigns:campaign_transition", args=[campaign.pk, action]))

    def audited(action, target):
        return AuditEvent.objects.filter(
            action=action,
            actor=supervisor,
            object_type=target._meta.label_lower,
            object_id=str(target.pk),
        )

    assert audited("policy.created", policy).exists()
    assert audited("campaign.created", campaign).exists()
    assert audited("campaign.updated", campaign).get().data["changed"] == ["prenotice_days"]
    notice = PreNotice.objects.get(campaign=campaign, sent_on=datetime.date(2020, 1, 10))
    assert audited("prenotice.recorded", notice).exists()
    assert audited("prenotice.imported", campaign).get().data["created"] == 1
    for action in ("list.build_requested", "list.built", "list.pause", "list.resume", "list.close"):
        assert audited(action, call_list).exists(), action
    assert audited("operator.skills", operator).get().data["skills"] == ["veteran"]
    for action in ("campaign.activate", "campaign.pause", "campaign.finish"):
        assert audited(action, campaign).exists(), action


def test_attempts_so_far_still_count_after_a_recycle(sv):
    """The list page's "attempts so far" summed the entries' counters, which a recycle sets back
    to 0: the calls already made vanished from the figure. It counts the logged attempts."""
    from campaigns.tests.factories_console import past_attempt

    call_list = CallListFactory()
    no_answer = Disposition.objects.get(code="no_answer")
    entry = CallListEntryFactory(call_list=call_list, status="exhausted", last_disposition=no_answer, attempts=2)
    for days_ago in (9, 8):
        past_attempt(entry=entry, at=timezone.now() - datetime.timedelta(days=days_ago))
    url = reverse("campaigns:list_detail", args=[call_list.pk])
    assert sv.get(url).context["attempts"] == 2
    sv.post(reverse("campaigns:list_recycle", args=[call_list.pk]), {"dispositions": ["no_answer"]})
    entry.refresh_from_db()
    assert entry.status == "pending" and entry.attempts == 0
    assert sv.get(url).context["attempts"] == 2


def test_list_export_needs_a_role_that_may_export(login, operator, client_viewer, manager, supervisor):
    """The CSV holds names and numbers: supervisors and managers (export_data) may download it,
    operators and client viewers may not."""
    call_list = CallListFactory()
    CallListEntryFactory(call_list=call_list)
    url = reverse("campaigns:list_export", args=[call_list.pk])
    for user in (operator, client_viewer):
        assert login(user).get(url).status_code == 403
    for user in (manager, supervisor):
        response = login(user).get(url)
        assert response.status_code == 200 and len(b"".join(response.streaming_content).splitlines()) == 2


def test_a_list_no_operator_can_work_says_so(sv, operator, operator2):
    """Dispatch gives a list only to operators of its campaign, among the list's own operators
    and holding its required skill. When nobody qualifies the list is never dialed: its page
    says so instead of leaving the supervisor to wonder (the complaint
    "nothing is being dialed" with no explanation)."""
    campaign = CampaignFactory(policy=CallingPolicyFactory(), operators=[operator])
    veterans = CallListFactory(campaign=campaign, required_skill="collections")
    url = reverse("campaigns:list_detail", args=[veterans.pk])
    page = sv.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="nobody-can-work"' in page and "collections" in page
    page = sv.get(url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "スキル「collections」を持つ人が必要です" in page
    OperatorProfile.objects.create(user=operator2, skills=["collections"])  # not in the campaign
    assert 'data-testid="nobody-can-work"' in sv.get(url).content.decode()
    OperatorProfile.objects.create(user=operator, skills=["collections", "veteran"])
    assert 'data-testid="nobody-can-work"' not in sv.get(url).content.decode()
    only_operator2 = CallListFactory(campaign=campaign)
    only_operator2.operators.add(operator2)
    assert (
        'data-testid="nobody-can-work"'
        in sv.get(reverse("campaigns:list_detail", args=[only_operator2.pk])).content.decode()
    )
    for_everyone = CallListFactory(campaign=campaign)
    assert (
        'data-testid="nobody-can-work"'
        not in sv.get(reverse("campaigns:list_detail", args=[for_everyone.pk])).content.decode()
    )


def test_the_list_form_without_segments_says_where_to_make_one(sv):
    """No saved segment yet: the (empty) segment menu alone left the supervisor stuck."""
    from contacts.models import Segment

    campaign = CampaignFactory(policy=CallingPolicyFactory())
    Segment.objects.all().delete()
    url = reverse("campaigns:list_create", args=[campaign.pk])
    page = sv.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="no-segments"' in page and f'href="{reverse("contacts:segment_create")}"' in page
    assert "まだセグメントがありません" in sv.get(url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    SegmentFactory()
    assert 'data-testid="no-segments"' not in sv.get(url).content.decode()


def test_the_campaign_form_offers_the_ten_purposes_in_both_languages(sv):
    page = sv.get(reverse("campaigns:campaign_create"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    for japanese in (
        "テレマーケティング",
        "テレアポ",
        "インサイドセールス",
        "電話調査",
        "督促",
        "休眠顧客の掘り起こし",
        "解約防止",
        "到着確認",
        "DMフォロー",
        "新商品",
    ):
        assert japanese in page, japanese
    page = sv.get(reverse("campaigns:campaign_create"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for english in (
        "Sales (telemarketing)",
        "Appointment setting",
        "Inside sales",
        "Phone survey",
        "Collections",
        "Dormant customer reactivation",
        "Churn prevention",
        "Delivery confirmation",
        "Direct-mail follow-up",
        "New product announcement",
    ):
        assert english in page, english
    assert len(Campaign.Purpose.choices) == 10


def test_a_build_that_fails_at_once_is_not_announced_as_running(sv, monkeypatch):
    """A small list is built during the request; when that build failed the page still said
    "being built in the background" above the failure."""
    import campaigns.services.lists as lists

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(lists, "_insert_entries", broken)
    campaign = CampaignFactory(policy=CallingPolicyFactory())
    CustomerFactory(tags=["vip"])
    response = sv.post(
        reverse("campaigns:list_create", args=[campaign.pk]),
        {
            "name": "x",
            "criteria": '{"match": "all", "rules": []}',
            "order_by": "recent_purchase",
            "priority": "0",
        },
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    page = response.content.decode()
    assert CallList.objects.get().status == CallList.Status.FAILED
    assert "being built in the background" not in page
    assert 'class="alert alert-danger' in page and "disk full" in page
