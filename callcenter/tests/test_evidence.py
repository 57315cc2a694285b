"""Evidence that cannot be edited: what the audit trail records (sign-ins, failed sign-ins, role
changes, client-viewer assignments, admin changes, downloads of import error reports), the
database's refusal to rewrite history (triggers, not only the admin), and the audit page (filters,
keyset pages, CSV export, itself audited)."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from callcenter.audit import record_event
from callcenter.history import history_change
from callcenter.models import AuditEvent
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def actions(**filters):
    return list(AuditEvent.objects.filter(**filters).order_by("id").values_list("action", flat=True))


# ---------------------------------------------------------------- what is recorded


def test_sign_in_sign_out_and_failed_sign_in_are_recorded(client, supervisor):
    client.post(reverse("login"), {"username": supervisor.username, "password": "wrong"})
    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert failed.data["username"] == supervisor.username and failed.actor is None
    assert "wrong" not in str(failed.data) + failed.summary  # never the password typed
    client.post(reverse("login"), {"username": supervisor.username, "password": PASSWORD})
    client.post(reverse("logout"))
    assert actions(actor=supervisor) == ["auth.login", "auth.logout"]
    assert AuditEvent.objects.get(action="auth.login").data["ip"] == "127.0.0.1"


def test_a_failed_token_request_is_recorded(api_client, supervisor):
    api_client.post("/api/v1/auth/token/", {"username": supervisor.username, "password": "nope"}, format="json")
    assert AuditEvent.objects.filter(action="auth.login_failed", data__username=supervisor.username).exists()


def test_role_changes_are_recorded_both_ways(operator, reference_data):
    supervisors = Group.objects.get(name="Supervisor")
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    operator.groups.add(supervisors)
    supervisors.user_set.remove(operator)
    events = AuditEvent.objects.filter(action="user.groups_changed", id__gt=before).order_by("id")
    assert [(e.data["change"], e.data["groups"], e.object_id) for e in events] == [
        ("added", ["Supervisor"], str(operator.pk)),
        ("removed", ["Supervisor"], str(operator.pk)),
    ]


def test_client_viewer_assignments_are_recorded_with_who_made_them(login, admin_user, client_viewer):
    from campaigns.tests.factories import CampaignFactory

    campaign = CampaignFactory()
    campaign.client_viewers.add(client_viewer)
    client_viewer.client_campaigns.remove(campaign)
    events = AuditEvent.objects.filter(action="campaign.client_viewers_changed").order_by("id")
    assert [(e.data["change"], e.data["users"], e.object_id) for e in events] == [
        ("added", [client_viewer.username], str(campaign.pk)),
        ("removed", [client_viewer.username], str(campaign.pk)),
    ]


def test_every_change_through_the_admin_is_recorded_with_its_author(login, admin_user):
    response = login(admin_user).post("/admin/auth/group/add/", {"name": "夜勤"})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin.addition")
    assert event.actor == admin_user and event.object_type == "auth.group" and "夜勤" in event.summary


def test_import_error_report_downloads_are_recorded(login, api_as, supervisor):
    from contacts.models import ImportJob, ImportRowError

    job = ImportJob.objects.create(original_name="顧客.csv", file="imports/x.csv", created_by=supervisor)
    ImportRowError.objects.create(job=job, line=2, column="電話番号", value="03-0000", message="bad")
    page = login(supervisor).get(reverse("contacts:import_errors_csv", args=[job.pk]))
    b"".join(page.streaming_content)
    api = api_as(supervisor).get(f"/api/v1/imports/{job.pk}/errors.csv")
    assert page.status_code == api.status_code == 200
    assert actions(action="import.errors_downloaded", object_id=str(job.pk)) == ["import.errors_downloaded"] * 2


# ---------------------------------------------------------------- the database refuses


def refused(statement, params=()):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_audit_events_cannot_be_changed_or_deleted_even_with_a_reason(supervisor):
    event = record_event(actor=supervisor, action="dnc.create", summary="kept")
    refused("UPDATE callcenter_auditevent SET summary = 'rewritten' WHERE id = %s", [event.pk])
    refused("DELETE FROM callcenter_auditevent WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError), history_change("no door for the audit trail"):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).summary == "kept"


def test_do_not_call_entries_change_only_by_their_revocation(supervisor):
    from contacts.services.dnc import register_dnc, revoke_dnc

    entry = register_dnc(by=supervisor, phone="090-1234-5678", reason="customer_request", source="inbound")
    refused("DELETE FROM contacts_donotcall WHERE id = %s", [entry.pk])
    refused("UPDATE contacts_donotcall SET phone_number = '+819000000000' WHERE id = %s", [entry.pk])
    refused("UPDATE contacts_donotcall SET expires_at = now() WHERE id = %s", [entry.pk])
    refused("UPDATE contacts_donotcall SET revoked_at = now(), phone_number = '' WHERE id = %s", [entry.pk])
    revoke_dnc(entry=entry, by=supervisor, reason="本人の申し出により解除")  # the one change allowed
    entry.refresh_from_db()
    assert entry.revoked_at is not None and entry.phone_number == "+819012345678"
    refused(
        "UPDATE contacts_donotcall SET revoked_at = NULL, revoked_by_id = NULL, revoke_reason = '' WHERE id = %s",
        [entry.pk],
    )
    with history_change("test: a data migration may"):
        with connection.cursor() as cursor:
            cursor.execute("UPDATE contacts_donotcall SET note = 'migrated' WHERE id = %s", [entry.pk])
    entry.refresh_from_db()
    assert entry.note == "migrated"


def test_call_attempts_change_only_with_a_reason(operator):
    from campaigns.tests.factories import CallListEntryFactory
    from campaigns.tests.factories_console import past_attempt

    attempt = past_attempt(entry=CallListEntryFactory(), at=timezone.now() - dt.timedelta(days=1), operator=operator)
    refused("UPDATE campaigns_callattempt SET disposition_id = disposition_id WHERE id = %s", [attempt.pk])
    refused("DELETE FROM campaigns_callattempt WHERE id = %s", [attempt.pk])
    with history_change("test: a personal-data erasure"):
        with connection.cursor() as cursor:
            cursor.execute("UPDATE campaigns_callattempt SET notes = '' WHERE id = %s", [attempt.pk])
    # The reason lasts for its transaction only.
    refused("UPDATE campaigns_callattempt SET notes = 'again' WHERE id = %s", [attempt.pk])


# ---------------------------------------------------------------- the audit page


@pytest.fixture
def trail(supervisor, manager):
    """120 events of the last 20 minutes, by two people, two actions (inserted as the trail
    grows: nothing may update an event afterwards)."""
    from contacts.tests.factories import DoNotCallFactory

    entry = DoNotCallFactory()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO callcenter_auditevent (created_at, actor_id, action, object_type, object_id, summary, data)
            SELECT now() - make_interval(secs => g * 10), CASE WHEN g %% 2 = 1 THEN %(sv)s ELSE %(mgr)s END,
                   CASE WHEN g %% 3 = 0 THEN 'dnc.create' ELSE 'kpis.export' END,
                   CASE WHEN g %% 3 = 0 THEN 'contacts.donotcall' ELSE '' END,
                   CASE WHEN g %% 3 = 0 THEN %(entry)s ELSE '' END, 'event ' || g, '{}'
            FROM generate_series(0, 119) g
            """,
            {"sv": supervisor.pk, "mgr": manager.pk, "entry": str(entry.pk)},
        )
    return {"entry": entry}


def summaries(response):
    return [event.summary for event in response.context["page"].events]


def test_the_audit_page_filters_by_user_action_object_and_date(login, supervisor, manager, trail):
    client = login(supervisor)
    by_manager = client.get(reverse("audit_list"), {"actor": manager.username})
    assert by_manager.context["page"].events and all(e.actor == manager for e in by_manager.context["page"].events)
    dnc_only = client.get(
        reverse("audit_list"),
        {"action": "dnc.", "object_type": "contacts.donotcall", "object_id": str(trail["entry"].pk)},
    )
    assert {e.action for e in dnc_only.context["page"].events} == {"dnc.create"}
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert summaries(client.get(reverse("audit_list"), {"date_from": tomorrow})) == []
    today = timezone.localdate()
    start = timezone.make_aware(dt.datetime.combine(today, dt.time()))
    todays = AuditEvent.objects.filter(created_at__gte=start).count()
    shown = summaries(client.get(reverse("audit_list"), {"date_from": today.isoformat(), "date_to": today.isoformat()}))
    assert len(shown) == min(50, todays) > 0
    bad = client.get(reverse("audit_list"), {"date_from": today, "date_to": "2000-01-01"})
    assert bad.status_code == 200 and "date_to" in bad.context["form"].errors


def test_keyset_pages_walk_the_whole_trail_once_both_ways(login, supervisor, trail):
    client = login(supervisor)
    seen, pages, params = [], [], {"action": "kpis.export"}
    response = client.get(reverse("audit_list"), params)
    while True:
        pages.append(response)
        seen += summaries(response)
        older = response.context["page"].older
        if not older:
            break
        response = client.get(reverse("audit_list"), {**params, "before": older})
    expected = list(
        AuditEvent.objects.filter(action="kpis.export").order_by("-created_at", "-id").values_list("summary", flat=True)
    )
    assert seen == expected and len(pages) == 2  # 80 rows: 50 + 30
    back = client.get(reverse("audit_list"), {**params, "after": pages[-1].context["page"].newer})
    assert summaries(back) == summaries(pages[0])
    assert client.get(reverse("audit_list"), {"before": "garbage"}).status_code == 200


def test_the_keyset_page_reads_the_index_not_a_sort_of_the_table(supervisor):
    """A page of a large trail is an index range scan of (created_at, id), never a sort."""
    from callcenter.audit_trail import AuditFilter, events_matching, keyset_page

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO callcenter_auditevent (created_at, action, object_type, object_id, summary, data)"
            " SELECT now() - make_interval(secs => g), 'kpis.export', '', '', 'bulk', '{}'"
            " FROM generate_series(1, 20000) g"
        )
        cursor.execute("ANALYZE callcenter_auditevent")
    first = keyset_page(events_matching(AuditFilter()))
    older = keyset_page(events_matching(AuditFilter()), before=first.older).events
    assert len(older) == 50
    from django.db.models import Q

    when, pk = older[0].created_at, older[0].pk
    query = (
        events_matching(AuditFilter())
        .filter(Q(created_at__lt=when) | Q(created_at=when, id__lt=pk))
        .order_by("-created_at", "-id")[:51]
    )
    plan = "\n".join(query.explain().splitlines())
    # The table is partitioned by month: each partition's copy of audit_keyset, merged in order.
    with connection.cursor() as cursor:
        cursor.execute("SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = 'audit_keyset'::regclass")
        keyset_indexes = {name for (name,) in cursor.fetchall()}
    scanned = set(re.findall(r"Index Scan using (\S+) on callcenter_auditevent", plan))
    assert keyset_indexes and scanned and scanned <= keyset_indexes, plan
    assert "Sort" not in plan.replace("Sort Key", ""), plan


def test_the_csv_export_is_filtered_formula_safe_and_itself_audited(login, supervisor, manager, trail):
    record_event(actor=supervisor, action="kpis.export", summary='=HYPERLINK("http://evil")')
    response = login(supervisor).get(reverse("audit_export"), {"actor": supervisor.username})
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff") and "'=HYPERLINK" in text
    assert manager.username not in text.split("\r\n", 1)[1]
    export = AuditEvent.objects.get(action="audit.export")
    assert export.actor == supervisor and export.data["filters"] == {"actor": supervisor.username}


def test_only_auditors_reach_the_trail(login, operator, client_viewer):
    for user in (operator, client_viewer):
        assert login(user).get(reverse("audit_list")).status_code == 403
        assert login(user).get(reverse("audit_export")).status_code == 403
