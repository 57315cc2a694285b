"""The import service end to end (the Celery task's work run in-process): upsert by customer ID,
counts, error rows with line numbers, idempotent re-import, DNC lists, audit."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from callcenter.models import AuditEvent
from contacts.imports.reports import error_report_rows
from contacts.models import Customer, DoNotCall, ImportJob, PhoneNumber
from contacts.services import imports
from contacts.tests.factories import CustomerFactory, DoNotCallFactory
from contacts.tests.factories_imports import HEADER, ROWS, csv_file, run_import, xlsx_file

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_and_language(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    with translation.override("en"):
        yield


INVALID_PHONE = "Not a valid phone number: kept on the customer as entered, marked invalid, and never dialed."


def errors_of(job):
    return list(job.row_errors.values_list("line", "column", "value", "message"))


def test_customers_are_created_with_every_mapped_value(supervisor):
    job = run_import(supervisor, csv_file())
    assert job.status == ImportJob.Status.DONE
    assert (job.total_rows, job.created_count, job.updated_count, job.unchanged_count, job.failed_count) == (
        3,
        3,
        0,
        0,
        0,
    )
    yamada = Customer.objects.get(external_id="C0001")
    assert yamada.name == "山田 太郎"
    assert yamada.name_kana == "ヤマダ タロウ"
    assert yamada.gender == "male"
    assert yamada.birth_date == datetime.date(1980, 4, 1)
    assert yamada.prefecture == "東京都"
    assert timezone.localtime(yamada.last_purchase_at).date() == datetime.date(2024, 1, 5)
    assert (yamada.purchase_count, yamada.total_spent) == (3, Decimal(12800))
    phones = {p.number: p for p in yamada.phones.all()}
    assert set(phones) == {"+81312345678", "+819011112222"}
    assert phones["+81312345678"].is_primary and phones["+81312345678"].kind == "home"
    assert phones["+819011112222"].kind == "mobile" and not phones["+819011112222"].is_primary
    sato = Customer.objects.get(external_id="C0002")
    assert sato.birth_date == datetime.date(1980, 5, 6)  # 昭和55年5月6日
    assert sato.prefecture == "大阪府"
    assert sato.total_spent == Decimal(5000)
    assert [p.number for p in sato.phones.all()] == ["+81612345678"]  # full-width digits


def test_bad_rows_are_reported_with_line_column_value_and_reason_and_good_rows_still_load(supervisor):
    rows = [
        HEADER,
        ROWS[0],  # line 2
        ["C0002", "佐藤 花子", "", "", "", "女", "1990-02-30", "", "", "abc", ""],  # line 3
        ["", "名無し", "", "", "", "", "", "", "", "", ""],  # line 4
        ["C0001", "重複", "", "", "", "", "", "", "", "", ""],  # line 5
        ["C0004", "短い行"],  # line 6
        ["C0005", "電話だけ不正", "", "12345", "", "", "", "", "", "", ""],  # line 7
    ]
    job = run_import(supervisor, csv_file(rows))
    assert (job.total_rows, job.created_count, job.failed_count) == (6, 2, 4)
    assert errors_of(job) == [
        (3, "生年月日", "1990-02-30", "Not a date. Write it like 1985-04-01, 1985/4/1, 19850401 or 昭和60年4月1日."),
        (3, "購入回数", "abc", "Not a whole number of 0 or more."),
        (4, "顧客ID", "", "The customer ID is empty."),
        (5, "顧客ID", "C0001", "This customer ID already appears on line 2; only that line was imported."),
        (6, "", "C0004,短い行", "This row has 2 values but the header has 11 columns."),
        (7, "電話番号", "12345", INVALID_PHONE),
    ]
    assert set(Customer.objects.values_list("external_id", flat=True)) == {"C0001", "C0005"}
    # An invalid number does not fail its row: it is reported, kept, marked invalid, never dialed.
    invalid = PhoneNumber.objects.get(customer__external_id="C0005")
    assert (invalid.number, invalid.is_valid, invalid.raw) == ("12345", False, "12345")
    assert "1 phone number is not a valid number" in job.message


def test_each_unusable_number_is_reported_and_kept_raw_beside_the_valid_ones(supervisor):
    rows = [
        HEADER,
        ["C0001", "山田 太郎", "", "03-1234-56", "090-1111-2222", "", "", "", "", "", ""],  # line 2
        ["C0002", "佐藤 花子", "", "０１２－３４", "携帯なし", "", "", "", "", "", ""],  # line 3
        ["C0003", "鈴木 一郎", "", "", "", "", "", "", "", "", ""],  # line 4: no number at all
    ]
    job = run_import(supervisor, csv_file(rows))
    assert (job.created_count, job.failed_count) == (3, 0)
    # Text without a digit ("携帯なし") is no number: reported, but there is nothing to store.
    assert errors_of(job) == [
        (2, "電話番号", "03-1234-56", INVALID_PHONE),
        (3, "電話番号", "０１２－３４", INVALID_PHONE),
        (3, "携帯電話", "携帯なし", "Not a phone number (no digit in it): nothing was stored for this cell."),
    ]
    yamada = {p.raw: p for p in PhoneNumber.objects.filter(customer__external_id="C0001")}
    assert (yamada["03-1234-56"].number, yamada["03-1234-56"].is_valid) == ("03123456", False)
    assert not yamada["03-1234-56"].is_primary  # the valid number is the one dialed
    assert yamada["090-1111-2222"].is_valid and yamada["090-1111-2222"].is_primary
    sato = PhoneNumber.objects.get(customer__external_id="C0002")
    assert (sato.raw, sato.number, sato.is_valid) == ("０１２－３４", "01234", False)
    assert "2 phone numbers are not valid numbers" in job.message
    csv_text = b"".join(chunk.encode() if isinstance(chunk, str) else chunk for chunk in error_report_rows(job)).decode(
        "utf-8-sig"
    )
    assert '3,電話番号,０１２－３４,"Not a valid phone number' in csv_text


def test_imports_normalize_numbers_with_the_memoized_function_of_the_whole_app(supervisor):
    """One normalization for imports and everything else (contacts.phones.normalize_phone_kind),
    memoized: an import fills the same cache the search and the forms read."""
    from contacts import phones

    phones._normalize.cache_clear()
    run_import(supervisor, csv_file())
    assert phones._normalize.cache_info().currsize == 4  # the file's four distinct numbers
    assert phones.normalize_phone("０６－１２３４－５６７８") == ("+81612345678", True)
    assert phones._normalize.cache_info().hits >= 1


def test_importing_the_same_file_twice_changes_nothing(supervisor):
    first = run_import(supervisor, csv_file())
    before = list(Customer.objects.order_by("id").values())
    phones_before = list(PhoneNumber.objects.order_by("id").values())
    second = run_import(supervisor, csv_file())
    assert (second.created_count, second.updated_count, second.unchanged_count, second.failed_count) == (0, 0, 3, 0)
    assert list(Customer.objects.order_by("id").values()) == before  # updated_at included
    assert list(PhoneNumber.objects.order_by("id").values()) == phones_before
    assert first.created_count == 3


def test_upsert_updates_changed_rows_only_and_blank_cells_keep_values(supervisor):
    run_import(supervisor, csv_file())
    before = {c.external_id: c.updated_at for c in Customer.objects.all()}
    changed = [HEADER, ROWS[0], list(ROWS[1]), ROWS[2]]
    changed[2][9] = "2"  # 佐藤: purchase count 1 → 2
    changed[2][6] = ""  # blank birth date: keeps 1980-05-06
    job = run_import(supervisor, csv_file(changed))
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 1, 2)
    sato = Customer.objects.get(external_id="C0002")
    assert sato.purchase_count == 2
    assert sato.birth_date == datetime.date(1980, 5, 6)
    after = {c.external_id: c.updated_at for c in Customer.objects.all()}
    assert after["C0002"] > before["C0002"]
    assert after["C0001"] == before["C0001"] and after["C0003"] == before["C0003"]


def test_unmapped_fields_and_other_numbers_are_left_alone(supervisor):
    customer = CustomerFactory(external_id="C0001", phone="080-9999-0000", notes="大切なお客様", tags=["VIP"])
    job = run_import(supervisor, csv_file([HEADER, ROWS[0]]))
    assert (job.created_count, job.updated_count) == (0, 1)
    customer.refresh_from_db()
    assert customer.name == "山田 太郎"
    assert customer.notes == "大切なお客様" and customer.tags == ["VIP"]
    numbers = {p.number: p.is_primary for p in customer.phones.all()}
    # The existing number stays; the file's first valid number becomes the primary.
    assert numbers == {"+818099990000": False, "+81312345678": True, "+819011112222": False}


def test_a_new_phone_number_alone_counts_as_an_update(supervisor):
    run_import(supervisor, csv_file())
    rows = [HEADER, ROWS[0], list(ROWS[1]), ROWS[2]]
    rows[2][4] = "070-5555-6666"
    job = run_import(supervisor, csv_file(rows))
    assert (job.updated_count, job.unchanged_count) == (1, 2)
    assert PhoneNumber.objects.filter(customer__external_id="C0002", number="+817055556666").exists()


def test_another_stored_number_becoming_primary_counts_as_an_update(supervisor):
    run_import(supervisor, csv_file())
    before = Customer.objects.get(external_id="C0001").updated_at
    rows = [HEADER, list(ROWS[0]), ROWS[1], ROWS[2]]
    rows[1][3], rows[1][4] = rows[1][4], rows[1][3]  # the mobile number is now the first column
    job = run_import(supervisor, csv_file(rows))
    assert (job.updated_count, job.unchanged_count) == (1, 2)
    yamada = Customer.objects.get(external_id="C0001")
    assert {p.number: p.is_primary for p in yamada.phones.all()} == {"+81312345678": False, "+819011112222": True}
    assert yamada.updated_at > before


def test_name_from_last_and_first_name_columns_and_custom_attributes(supervisor):
    rows = [
        ["会員番号", "姓", "名", "セイ", "メイ", "好きな商品", "会員ランク"],
        ["M1", "山田", "太郎", "ﾔﾏﾀﾞ", "ﾀﾛｳ", "緑茶", "0012"],
        ["M2", "佐藤", "花子", "サトウ", "ハナコ", "", "7"],
    ]
    mapping = {
        "会員番号": "external_id",
        "姓": "last_name",
        "名": "first_name",
        "セイ": "last_name_kana",
        "メイ": "first_name_kana",
        "好きな商品": "attr:好きな商品",
        "会員ランク": "attr:rank",
    }
    job = run_import(supervisor, csv_file(rows), mapping=mapping)
    assert job.created_count == 2, errors_of(job)
    m1 = Customer.objects.get(external_id="M1")
    assert (m1.name, m1.name_kana) == ("山田 太郎", "ヤマダ タロウ")
    assert m1.attributes == {"好きな商品": "緑茶", "rank": "0012"}
    assert Customer.objects.get(external_id="M2").attributes == {"rank": 7}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_every_encoding_loads_the_same_customers(supervisor, encoding):
    job = run_import(supervisor, csv_file(encoding=encoding))
    assert job.created_count == 3
    assert job.encoding == encoding
    assert Customer.objects.get(external_id="C0002").name == "佐藤 花子"


def test_xlsx_import(supervisor):
    job = run_import(supervisor, xlsx_file([HEADER, *ROWS]))
    assert (job.created_count, job.failed_count) == (3, 0)
    assert Customer.objects.get(external_id="C0003").phones.get().number == "+818033334444"


def test_mapping_that_cannot_run_is_refused_before_anything_is_queued(supervisor):
    upload = imports.receive_upload(
        uploaded_file=csv_file([["顧客ID", "電話番号"], ["C1", "090-1111-2222"]]), kind="customers"
    )
    with pytest.raises(ValidationError) as refused:
        imports.start_import(upload=upload, mapping=None, by=supervisor)
    assert "氏名" in str(refused.value.message_dict["mapping"])
    assert not ImportJob.objects.exists()


def test_every_import_is_audited_with_who_file_and_counts(supervisor):
    job = run_import(supervisor, csv_file())
    events = {e.action: e for e in AuditEvent.objects.filter(object_type="contacts.importjob", object_id=str(job.pk))}
    assert set(events) == {"import.start", "import.done"}
    done = events["import.done"]
    assert done.actor == supervisor
    assert done.data["file"] == "customers.csv"
    assert (done.data["created"], done.data["failed"]) == (3, 0)


def test_a_run_that_fails_loads_nothing(supervisor, monkeypatch):
    from contacts.imports.loaders import CustomerLoader

    def broken_phones(self, cursor, table, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(CustomerLoader, "_add_phones", broken_phones)
    job = run_import(supervisor, csv_file())
    assert job.status == ImportJob.Status.FAILED
    assert "nothing was loaded" in job.message
    assert not Customer.objects.exists()
    assert AuditEvent.objects.filter(action="import.failed", object_id=str(job.pk)).exists()


def test_running_a_finished_job_again_does_nothing(supervisor):
    job = run_import(supervisor, csv_file())
    assert imports.run_import(job_id=job.pk) is None
    assert Customer.objects.count() == 3


def test_large_file_loads_in_several_chunks_with_exact_counts(supervisor, monkeypatch):
    from contacts.imports import staging

    monkeypatch.setattr(staging, "CHUNK_ROWS", 4)
    monkeypatch.setattr(staging, "BATCH_ROWS", 2)  # chunks of 4 rows: 3 chunks
    rows = [HEADER] + [
        [f"K{n:03d}", f"顧客 {n}", "", f"090{n + 1000:04d}5678", "", "", "", "", "", str(n), ""] for n in range(1, 11)
    ]
    rows.append(["K003", "重複", "", "", "", "", "", "", "", "", ""])
    job = run_import(supervisor, csv_file(rows))
    assert (job.total_rows, job.created_count, job.failed_count) == (11, 10, 1)
    assert [error[:2] for error in errors_of(job)] == [(12, "顧客ID")]
    assert PhoneNumber.objects.filter(customer__external_id__startswith="K").count() == 10


# ---------------------------------------------------------------- do-not-call lists


def test_dnc_list_creates_audited_import_entries_and_never_duplicates_an_active_one(supervisor):
    existing = DoNotCallFactory(phone_number="+819012345678")
    revoked = DoNotCallFactory(phone_number="+81312345678", revoked_at=timezone.now(), revoke_reason="誤登録")
    data = [
        ["電話番号", "理由"],
        ["090-1234-5678", ""],
        ["03-1234-5678", "苦情"],
        ["０８０－１１１１－２２２２", ""],
        ["080-1111-2222", ""],
        ["abc", ""],
    ]
    job = run_import(supervisor, csv_file(data, name="dnc.csv"), kind="dnc", reason="customer_request")
    assert (job.total_rows, job.created_count, job.unchanged_count, job.failed_count) == (5, 2, 2, 1)
    assert errors_of(job)[0][0] == 6  # "abc" is no phone number: reported, not registered
    added = DoNotCall.objects.filter(source="import").order_by("phone_number")
    assert [(d.phone_number, d.reason) for d in added] == [
        ("+81312345678", "complaint"),
        ("+818011112222", "customer_request"),
    ]
    assert all(d.created_by == supervisor and d.campaign_id is None for d in added)
    assert DoNotCall.objects.filter(phone_number="+819012345678").count() == 1  # the active one is kept
    assert revoked.pk != added[0].pk
    audit = AuditEvent.objects.filter(action="dnc.create", object_type="contacts.donotcall")
    assert {int(e.object_id) for e in audit} == {d.pk for d in added}
    assert all(e.actor == supervisor and e.data["source"] == "import" for e in audit)
    again = run_import(supervisor, csv_file(data, name="dnc.csv"), kind="dnc")
    assert (again.created_count, again.unchanged_count, again.failed_count) == (0, 4, 1)
    assert existing.pk


def test_dnc_list_by_customer_id_and_headerless_number_list(supervisor):
    customer = CustomerFactory(external_id="C9", phone=False)
    job = run_import(supervisor, csv_file([["顧客ID"], ["C9"], ["NOPE"]], name="dnc.csv"), kind="dnc")
    assert (job.created_count, job.failed_count) == (1, 1)
    assert errors_of(job) == [(3, "顧客ID", "NOPE", "No customer has this customer ID.")]
    assert DoNotCall.objects.get(source="import").customer == customer
    bare = "09011112222\r\n0312345678\r\n".encode("cp932")
    from django.core.files.uploadedfile import SimpleUploadedFile

    job = run_import(supervisor, SimpleUploadedFile("numbers.csv", bare), kind="dnc")
    assert job.created_count == 2
    assert set(DoNotCall.objects.filter(customer=None).values_list("phone_number", flat=True)) == {
        "+819011112222",
        "+81312345678",
    }


BAD_NUMBERS = [
    ["電話番号", "顧客ID"],
    ["090-1234-5678", ""],
    ["abc", ""],
    ["12345", ""],
    ["12345", "C9"],
    ["", "C9"],
    ["", ""],
]


def test_dnc_rows_with_unusable_numbers_are_reported_with_their_value_and_never_registered(supervisor):
    """A number that cannot be dialed was once registered as typed, silently: now the row fails
    (line, cell, reason) unless it names a customer, who is registered alone (the cell is still
    listed)."""
    CustomerFactory(external_id="C9", phone=False)
    job = run_import(supervisor, csv_file(BAD_NUMBERS, name="dnc.csv"), kind="dnc", reason="customer_request")
    assert (job.total_rows, job.created_count, job.unchanged_count, job.failed_count) == (5, 2, 1, 2)
    assert errors_of(job) == [
        (3, "電話番号", "abc", "Not a phone number (no digit in it): nothing was registered for this row."),
        (4, "電話番号", "12345", "Not a phone number that can be dialed: nothing was registered for this row."),
        (5, "電話番号", "12345", "Not a phone number that can be dialed: only the customer was registered."),
    ]
    assert sorted(DoNotCall.objects.values_list("phone_number", "customer__external_id")) == [
        ("", "C9"),
        ("+819012345678", None),
    ]


def test_dnc_row_whose_expiry_has_passed_is_reported_not_registered(supervisor):
    """An entry that expired before it was added would never block anyone: the supervisor must
    see that row as failed (line and reason), while the good row still loads."""
    data = [["電話番号", "有効期限"], ["090-1234-5678", "2099-12-31 00:00"], ["03-1234-5678", "2001-01-01 00:00:00"]]
    job = run_import(supervisor, csv_file(data, name="dnc.csv"), kind="dnc", reason="customer_request")
    assert (job.total_rows, job.created_count, job.failed_count) == (2, 1, 1)
    assert errors_of(job) == [(3, "有効期限", "2001-01-01 00:00:00", "The expiry date has already passed.")]
    assert list(DoNotCall.objects.filter(source="import").values_list("phone_number", flat=True)) == ["+819012345678"]


def test_dnc_entries_imported_block_the_customers_who_have_those_numbers(supervisor):
    from contacts.services.dnc import is_blocked

    customer = CustomerFactory(phone="090-2222-3333")
    run_import(supervisor, csv_file([["電話番号"], ["090-2222-3333"]], name="dnc.csv"), kind="dnc")
    assert is_blocked(customer=customer)


def test_uploads_left_in_the_mapping_step_are_deleted_after_a_day(supervisor, tmp_path):
    import os
    import time

    abandoned = imports.receive_upload(uploaded_file=csv_file(name="abandoned.csv"), kind="customers")
    fresh = imports.receive_upload(uploaded_file=csv_file(name="fresh.csv"), kind="customers")
    imported = run_import(supervisor, csv_file(name="imported.csv"))
    two_days_ago = time.time() - 2 * 86400
    for path in (abandoned.path, imported.file.name):
        os.utime(tmp_path / path, (two_days_ago, two_days_ago))
    assert imports.discard_stale_uploads() == 1
    assert not (tmp_path / abandoned.path).exists()
    assert (tmp_path / fresh.path).exists()
    assert (tmp_path / imported.file.name).exists()  # the record of what was loaded stays
