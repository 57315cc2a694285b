"""Deletion requests reach the months moved to the archive schema (`manage.py archive_history`):
an archived month's attempts of the erased customer get the live table's redaction (number
hashed, notes and answers cleared) and its audit events the trail's rewrite, through the same
narrow doors of the triggers that moved with the tables; everything else there stays as it was
and stays refused."""

import datetime as dt
import json

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import translation

from callcenter.history import attempt_erasure, audit_redaction, history_change
from callcenter.partitions import archive_partition, ensure_partitions
from campaigns.services.history_archive import archived_attempts_of
from campaigns.tests.factories_console import entry, past_attempt, ready_list, working_campaign
from contacts.services.erasure import erase_customer, number_hash
from contacts.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

NAME = "消去 希望子"
NUMBER, OTHER = "+819012340001", "+819077770009"
JUNE = dt.datetime(2026, 6, 10, 3, 0, tzinfo=dt.UTC)
ATTEMPTS = '"archive"."campaigns_callattempt_p2026_06"'  # as read from the catalog
EVENTS = '"archive"."callcenter_auditevent_p2026_06"'


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def rows(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def june_event(*, object_type, object_id, summary, data) -> int:
    """An audit event written in June (the trail is append-only: an INSERT with its time)."""
    return rows(
        "INSERT INTO callcenter_auditevent (created_at, action, object_type, object_id, summary, data)"
        " VALUES (%s, 'customer.update', %s, %s, %s, %s::jsonb) RETURNING id",
        [JUNE, object_type, str(object_id), summary, json.dumps(data, ensure_ascii=False)],
    )[0][0]


def copies(table: str, source_id: int, *, count: int, **expressions) -> None:
    """`count` copies of row `source_id` of `table`, the columns named in `expressions` set to
    those SQL expressions (`g`: the copy's number): an archived month of realistic size for the
    planner. Columns read from the catalog."""
    columns = [
        name
        for (name,) in rows(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped"
            " AND attname <> 'id' ORDER BY attnum",
            [table],
        )
    ]
    chosen = ", ".join(expressions.get(name, f'"{name}"') for name in columns)
    quoted = ", ".join(f'"{name}"' for name in columns)
    rows(
        f"INSERT INTO {table} ({quoted}) SELECT {chosen} FROM {table}, generate_series(1, {int(count)}) AS g"
        " WHERE id = %s RETURNING 1",
        [source_id],
    )


@pytest.fixture
def archived_june(reference_data, operator):
    """June of the attempts and of the audit trail in the archive schema: a call of the customer to
    erase and one of another customer, with events about both, among a few thousand others."""
    with connection.cursor() as cursor:
        ensure_partitions(cursor, "campaigns_callattempt", "started_at", first=JUNE.date(), last=JUNE.date())
        ensure_partitions(cursor, "callcenter_auditevent", "created_at", first=JUNE.date(), last=JUNE.date())
    customer = CustomerFactory(name=NAME, phones=["090-1234-0001"])
    other = CustomerFactory(name="他人 太郎", phones=["090-7777-0009"])
    call_list = ready_list(working_campaign(operators=[operator]))
    mine = past_attempt(
        entry=entry(call_list, customer=customer, phone=NUMBER), at=JUNE, notes="奥様と話した", answers={"q1": "yes"}
    )
    theirs = past_attempt(
        entry=entry(call_list, customer=other, phone=OTHER), at=JUNE, notes="別の人", answers={"q1": "no"}
    )
    with history_change("a test arranging the past"):
        copies("campaigns_callattempt", theirs.pk, count=3000, notes="''")
    events = {
        "customer": june_event(
            object_type="contacts.customer", object_id=customer.pk, summary=NAME, data={"number": "090-1234-0001"}
        ),
        "attempt": june_event(
            object_type="campaigns.callattempt", object_id=mine.pk, summary=f"{NUMBER}", data={"notes": "奥様と話した"}
        ),
        "other": june_event(
            object_type="contacts.customer",
            object_id=other.pk,
            summary=f"{NAME} と同姓",
            data={"number": "090-7777-0009"},
        ),
    }
    copies("callcenter_auditevent", events["other"], count=3000, object_id="(1000000 + g)::text")
    with transaction.atomic(), connection.cursor() as cursor:
        archive_partition(cursor, "campaigns_callattempt", "campaigns_callattempt_p2026_06")
        archive_partition(cursor, "callcenter_auditevent", "callcenter_auditevent_p2026_06")
        cursor.execute(f"ANALYZE {ATTEMPTS}")
        cursor.execute(f"ANALYZE {EVENTS}")
    return customer, mine, theirs, events


def attempt_row(pk):
    return rows(f"SELECT phone, notes, answers::text, started_at, disposition_id FROM {ATTEMPTS} WHERE id = %s", [pk])[
        0
    ]


def event_row(pk):
    return rows(f"SELECT summary, data FROM {EVENTS} WHERE id = %s", [pk])[0]


def test_erasure_redacts_the_archived_months_and_leaves_the_others(archived_june, supervisor):
    customer, mine, theirs, events = archived_june
    before_theirs = attempt_row(theirs.pk)
    before_other_event = event_row(events["other"])

    erase_customer(customer=customer, by=supervisor, reason="削除依頼")

    phone, notes, answers, started_at, disposition_id = attempt_row(mine.pk)
    assert (phone, notes, json.loads(answers)) == (number_hash(NUMBER), "", {})
    assert (started_at, disposition_id) == (mine.started_at, mine.disposition_id)  # the KPIs' facts stay
    assert attempt_row(theirs.pk) == before_theirs
    assert rows(f"SELECT count(*) FROM {ATTEMPTS} WHERE notes = '別の人'") == [(1,)]
    marker = f"erasure of customer {customer.pk}"
    for key in ("customer", "attempt"):
        summary, data = event_row(events[key])
        data = json.loads(data) if isinstance(data, str) else data
        assert data["redacted_for"] == marker
        assert NAME not in summary and NUMBER not in summary and "奥様" not in summary, summary
        assert "090-1234-0001" not in json.dumps(data, ensure_ascii=False) and "奥様" not in json.dumps(
            data, ensure_ascii=False
        )
    assert event_row(events["customer"])[0] == "[erased]"
    assert event_row(events["other"]) == before_other_event  # same name, another person's event
    assert rows(f"SELECT count(*) FROM {EVENTS} WHERE data ? 'redacted_for'") == [(2,)]
    # the number dialed only in the archived month is on the registry as a hash, and counted
    from callcenter.models import AuditEvent
    from contacts.models import DoNotCall

    assert DoNotCall.objects.filter(phone_number=number_hash(NUMBER), revoked_at__isnull=True).exists()
    report = AuditEvent.objects.get(action="audit.redacted", object_id=str(customer.pk))
    assert report.data["archived_events"] == 2


def test_the_archived_tables_open_only_for_the_erasures_narrow_doors(archived_june, supervisor):
    """The triggers moved with the archived tables refuse a plain UPDATE or DELETE, any change of an
    attempt but its number, notes and answers, another customer's attempt, and any rewrite of an
    event not marked with the erasure the transaction names."""
    customer, mine, theirs, events = archived_june

    def refused(sql, params=(), *, customer_id=None, marker=None) -> bool:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                if customer_id is not None:
                    cursor.execute("SELECT set_config('callcenter.attempt_erasure', %s, true)", [str(customer_id)])
                if marker is not None:
                    cursor.execute("SELECT set_config('callcenter.audit_erasure', %s, true)", [marker])
                cursor.execute(sql, params)
        except DatabaseError:
            return True
        return False

    assert refused(f"UPDATE {ATTEMPTS} SET notes = '' WHERE id = %s", [mine.pk])
    assert refused(f"DELETE FROM {ATTEMPTS} WHERE id = %s", [mine.pk])
    assert refused(
        f"UPDATE {ATTEMPTS} SET started_at = started_at + interval '1 hour' WHERE id = %s",
        [mine.pk],
        customer_id=customer.pk,
    )
    assert refused(f"UPDATE {ATTEMPTS} SET notes = '' WHERE id = %s", [theirs.pk], customer_id=customer.pk)
    assert refused(f"DELETE FROM {ATTEMPTS} WHERE id = %s", [mine.pk], customer_id=customer.pk)
    assert refused(f"UPDATE {EVENTS} SET summary = 'x' WHERE id = %s", [events["customer"]])
    assert refused(f"DELETE FROM {EVENTS} WHERE id = %s", [events["customer"]], marker="erasure 1")
    mark = f"UPDATE {EVENTS} SET summary = 'x', data = '{{\"redacted_for\": \"erasure 1\"}}' WHERE id = %s"
    assert refused(mark, [events["customer"]], marker="erasure 2")
    assert refused(mark.replace("summary = 'x'", "action = 'x'"), [events["customer"]], marker="erasure 1")
    assert attempt_row(mine.pk)[1] == "奥様と話した" and event_row(events["customer"])[0] == NAME
    # the doors themselves
    with history_change("an erasure around it"), attempt_erasure(customer.pk), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {ATTEMPTS} SET notes = '' WHERE id = %s", [mine.pk])
    with audit_redaction("erasure 1"), connection.cursor() as cursor:
        cursor.execute(mark, [events["customer"]])
    assert attempt_row(mine.pk)[1] == "" and event_row(events["customer"])[0] == "x"


def test_the_archived_months_are_read_and_written_through_their_indexes(archived_june, supervisor):
    """Every statement the erasure runs on an archived month probes an index of it (the customer's
    attempts by (customer, started_at), the events by (object_type, object_id), rewritten events by
    their key), never a scan of months that are read rarely and may be large."""
    from django.test.utils import CaptureQueriesContext

    customer, mine, _theirs, events = archived_june
    assert [(table, pk) for table, pk, _phone in archived_attempts_of(customer.pk)] == [(ATTEMPTS, mine.pk)]
    with CaptureQueriesContext(connection) as captured:
        erase_customer(customer=customer, by=supervisor, reason="削除依頼")
    statements = [query["sql"] for query in captured.captured_queries if '"archive".' in query["sql"]]
    assert len(statements) == 4  # attempts read and rewritten, events read and rewritten
    for sql in statements:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(line for (line,) in cursor.fetchall())
        assert "Index" in plan and "Seq Scan on campaigns_callattempt_p" not in plan, plan
        assert "Seq Scan on callcenter_auditevent_p" not in plan, plan
