"""Bulk loads: a large file into a table that holds few customers drops the secondary indexes of
the customer and phone tables for its transaction and builds them again at the end. The data and
the indexes come out the same as on the normal path; a busy table or a big table keeps its
indexes; a failed run leaves them as they were."""

import pytest
from django.db import connection
from django.utils import translation

from conftest import another_transaction
from contacts.imports import loaders
from contacts.models import Customer, ImportJob, PhoneNumber
from contacts.tests.factories import CustomerFactory
from contacts.tests.factories_imports import HEADER, ROWS, csv_file, run_import


@pytest.fixture(autouse=True)
def media_and_language(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = str(tmp_path)
    monkeypatch.setattr("contacts.tasks.imports.run_import_job", NotSent())
    monkeypatch.setattr(loaders, "BULK_LOAD_MIN_ROWS", 2)  # these small files count as large
    with translation.override("en"):
        yield


class NotSent:
    def delay(self, *args, **kwargs):
        return None


@pytest.fixture
def dropped(monkeypatch):
    """What each run that tried the bulk path set aside: the statements that build it again (an
    empty list: it could not lock the tables and took the normal path)."""
    runs = []
    original = loaders.CustomerLoader._set_aside_for_bulk_load

    def spy(self, cursor):
        result = original(self, cursor)
        runs.append(result)
        return result

    monkeypatch.setattr(loaders.CustomerLoader, "_set_aside_for_bulk_load", spy)
    return runs


def indexes():
    """The indexes and constraints of the customer and phone tables."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes "
            "WHERE tablename IN ('contacts_customer', 'contacts_phonenumber') ORDER BY 1, 2"
        )
        found = cursor.fetchall()
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), condeferrable, condeferred "
            "FROM pg_constraint WHERE conrelid IN ('contacts_customer'::regclass, 'contacts_phonenumber'::regclass) "
            "ORDER BY 1, 2"
        )
        return found + cursor.fetchall()


def many_rows(count):
    return [HEADER] + [
        [
            f"B{n:04d}",
            f"顧客 {n}",
            "",
            f"03-{1000 + n}-5678",
            f"090-{1000 + n}-2222",
            "",
            "1980/4/1",
            "",
            "",
            str(n),
            "",
        ]
        for n in range(1, count + 1)
    ]


@pytest.mark.django_db
def test_a_bulk_load_gives_the_same_data_and_the_same_indexes(supervisor, dropped):
    before = indexes()
    job = run_import(supervisor, csv_file())
    # trigram, tags and btree indexes of both tables, and the phones' foreign key
    assert len(dropped) == 1 and len(dropped[0]) >= 9
    assert any("FOREIGN KEY (customer_id)" in statement for statement in dropped[0])
    assert indexes() == before
    assert (job.status, job.created_count, job.failed_count) == (ImportJob.Status.DONE, 3, 0)
    yamada = Customer.objects.get(external_id="C0001")
    phones = {p.number: p.is_primary for p in yamada.phones.all()}
    assert phones == {"+81312345678": True, "+819011112222": False}
    assert Customer.objects.filter(name__icontains="花子").count() == 1
    # Planned for what is there now, not for an empty table: the load analyzed both tables.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, attname FROM pg_stats WHERE (tablename, attname) IN"
            " (('contacts_customer', 'external_id'), ('contacts_phonenumber', 'number')) ORDER BY 1"
        )
        assert cursor.fetchall() == [("contacts_customer", "external_id"), ("contacts_phonenumber", "number")]
    # The same file again: the table is no longer nearly empty, the normal path, all unchanged.
    again = run_import(supervisor, csv_file())
    assert len(dropped) == 1
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 3)


@pytest.mark.django_db
def test_a_table_with_many_customers_keeps_its_indexes(supervisor, dropped):
    CustomerFactory.create_batch(2, phone=False)
    job = run_import(supervisor, csv_file(many_rows(8)))  # 2 stored ≥ a quarter of 8 rows
    assert dropped == []
    assert job.created_count == 8


@pytest.mark.django_db
def test_a_floor_that_is_calling_keeps_its_indexes(supervisor, dropped):
    """Few customers stored, but one was called today: the tables stay readable for consoles."""
    from django.utils import timezone

    CustomerFactory(phone=False, last_attempt_at=timezone.now())
    job = run_import(supervisor, csv_file(many_rows(8)))
    assert dropped == []
    assert job.created_count == 8


@pytest.mark.django_db
def test_a_failed_bulk_load_leaves_data_and_indexes_as_they_were(supervisor, dropped, monkeypatch):
    before = indexes()

    def broken_phones(self, cursor, table, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(loaders.CustomerLoader, "_add_phones", broken_phones)
    job = run_import(supervisor, csv_file())
    assert dropped[0]
    assert job.status == ImportJob.Status.FAILED
    assert indexes() == before
    assert not Customer.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_busy_table_takes_the_normal_path_instead_of_waiting(supervisor, dropped, monkeypatch):
    """Someone is reading customers in an open transaction: the import does not wait for them
    (nor make later readers queue behind it) longer than BULK_LOCK_TIMEOUT."""
    monkeypatch.setattr(loaders, "BULK_LOCK_TIMEOUT", "200ms")

    with another_transaction(lambda: list(Customer.objects.all()[:1])):
        before = indexes()
        job = run_import(supervisor, csv_file([HEADER, *ROWS]))
    assert dropped == [[]]
    assert indexes() == before
    assert job.status == ImportJob.Status.DONE and job.created_count == 3
    assert PhoneNumber.objects.count() == 4


@pytest.mark.django_db
def test_a_bulk_load_updates_the_few_customers_already_stored(supervisor, dropped):
    """Fewer stored customers than a quarter of the file: the bulk path, which still updates them
    (only what changed) and adds their numbers like any import."""
    stored = CustomerFactory(external_id="B0001", name="古い名前", phone="080-9999-0000")
    same = CustomerFactory(external_id="B0002", name="顧客 2", phone=False)
    rows = many_rows(12)
    job = run_import(supervisor, csv_file(rows))
    assert dropped and dropped[0]
    assert (job.created_count, job.updated_count, job.unchanged_count) == (10, 2, 0)
    stored.refresh_from_db()
    assert stored.name == "顧客 1" and stored.purchase_count == 1
    numbers = {p.number: p.is_primary for p in stored.phones.all()}
    assert numbers == {"+818099990000": False, "+81310015678": True, "+819010012222": False}
    same.refresh_from_db()
    assert same.phones.count() == 2


@pytest.mark.django_db
def test_a_bulk_load_into_an_empty_table_in_several_chunks(supervisor, dropped, monkeypatch):
    """Into an empty table nothing is looked up: a customer ID repeated in a later chunk still
    fails alone (the reader fails repeats), and every count is exact."""
    from contacts.imports import staging

    monkeypatch.setattr(staging, "CHUNK_ROWS", 4)
    monkeypatch.setattr(staging, "BATCH_ROWS", 2)
    rows = many_rows(10)
    rows.append(list(rows[3]))  # line 12 repeats line 4's customer ID
    rows.append(["B0099", "", "", "", "", "", "", "", "", "", ""])  # no name
    job = run_import(supervisor, csv_file(rows))
    assert dropped and dropped[0]
    assert (job.total_rows, job.created_count, job.updated_count, job.failed_count) == (12, 10, 0, 2)
    assert [(e.line, e.column) for e in job.row_errors.order_by("line")] == [(12, "顧客ID"), (13, "氏名")]
    assert PhoneNumber.objects.filter(is_primary=True).count() == 10
    assert PhoneNumber.objects.count() == 20


@pytest.mark.django_db
@pytest.mark.parametrize("bulk", [True, False], ids=["bulk-load", "through-the-indexes"])
def test_an_unusable_number_is_reported_and_kept_invalid_on_both_paths(supervisor, dropped, monkeypatch, bulk):
    """New customers and one already stored: each unusable number is listed in the error report
    (line, column, value, reason) and stored as entered, marked invalid, never the primary."""
    if not bulk:
        monkeypatch.setattr(loaders, "BULK_LOAD_MIN_ROWS", 1_000_000)
    stored = CustomerFactory(external_id="B0001", name="顧客 1", phone="080-9999-0000")
    rows = many_rows(8)
    rows[1][3] = "03-12"  # line 2: the stored customer's new home number is unusable
    rows[5][3] = "０９０ー１２３"  # line 6: a new customer's home number too; its mobile is valid
    rows[7][3], rows[7][4] = "12345", "999"  # line 8: none of its numbers is usable
    job = run_import(supervisor, csv_file(rows))
    assert bool(dropped and dropped[0]) is bulk
    assert (job.created_count, job.updated_count, job.failed_count) == (7, 1, 0)
    message = "Not a valid phone number: kept on the customer as entered, marked invalid, and never dialed."
    assert list(job.row_errors.order_by("line", "id").values_list("line", "column", "value", "message")) == [
        (2, "電話番号", "03-12", message),
        (6, "電話番号", "０９０ー１２３", message),
        (8, "電話番号", "12345", message),
        (8, "携帯電話", "999", message),
    ]
    assert "4 phone numbers are not valid numbers" in job.message

    def phones_of(external_id):
        return set(
            PhoneNumber.objects.filter(customer__external_id=external_id).values_list(
                "raw", "number", "is_valid", "is_primary"
            )
        )

    assert ("03-12", "0312", False, False) in phones_of("B0001")
    assert ("090-1001-2222", "+819010012222", True, True) in phones_of("B0001")
    assert phones_of("B0005") == {
        ("０９０ー１２３", "090123", False, False),
        ("090-1005-2222", "+819010052222", True, True),
    }
    # No valid number at all: both kept as entered; the first is the primary, still never dialed.
    assert phones_of("B0007") == {("12345", "12345", False, True), ("999", "999", False, False)}
    stored.refresh_from_db()
    assert stored.phones.filter(is_valid=False).count() == 1
