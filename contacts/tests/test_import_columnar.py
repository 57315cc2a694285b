"""The columnar staging of large chunks (contacts/imports/columnar.py) gives exactly the staged data
of the row-by-row path: same values, same errors, same numbers, on varied cells."""

import csv
import io

import polars as pl
import pytest
from django.utils import translation

from contacts.imports import staging
from contacts.imports.columnar import PhoneColumns
from contacts.imports.loaders import CustomerLoader, DncLoader
from contacts.phones import normalize_phone_kind

# Every way the numbers of a Japanese file are written, valid or not.
PHONES = [
    "090-1234-5678",
    "080-1234-5678",
    "070-1234-5678",
    "080-0123-4567",  # 080-0…: read as the toll-free 0800 range by phonenumbers
    "070-0123-4567",  # unallocated mobile ranges
    "090-0123-4567",
    "09012345678",
    "090 1234 5678",
    "(090) 1234-5678",
    "090.1234.5678",
    "03-1234-5678",  # landlines by area code
    "06-6123-4567",
    "011-123-4567",
    "045-123-4567",
    "0467-12-3456",
    "01267-2-3456",
    "(03)1234-5678",
    "0120-123-456",  # toll-free
    "0800-123-4567",
    "0570-123-456",  # navi dial
    "050-1234-5678",  # IP phone
    "0990-123-456",  # premium rate
    "+81 90-1234-5678",
    "+81-3-1234-5678",
    "+819012345678",
    "+1 212-555-0100",
    "０９０－１２３４－５６７８",  # full width
    "０３（１２３４）５６７８",
    "090ー1234ー5678",  # katakana prolonged sound mark for the dash
    "090‐1234‐5678",
    "00-1234-5678",
    "0012345678",
    "012345",
    "0",
    "03-1234-567",
    "090-1234-56789",
    "1234-5678",
    "なし",
    "-",
    "090-1234-5678 内線12",
    "tel:090-1234-5678",
]


def test_the_phone_fast_path_decides_the_common_writings_exactly_as_normalize_phone_kind():
    fast = PhoneColumns("JP")
    assert fast.rules is not None  # the metadata's patterns compile for polars
    number, kind = fast.decide(pl.Series(PHONES, dtype=pl.String))
    decided = 0
    for raw, fast_number, fast_kind in zip(PHONES, number.to_list(), kind.to_list(), strict=True):
        if fast_number is None:
            assert fast_kind is None, raw
            continue
        decided += 1
        assert normalize_phone_kind(raw, "JP") == (fast_number, True, fast_kind), raw
    assert decided >= 15  # the national writings; the others go to normalize_phone_kind


def test_no_fast_path_for_a_region_without_a_trunk_prefix_0():
    assert PhoneColumns("US").decide(pl.Series(["(201) 555-0123"])) is None


CUSTOMER_HEADERS = [
    "顧客ID",
    "氏名",
    "フリガナ",
    "電話番号",
    "携帯電話",
    "性別",
    "生年月日",
    "郵便番号",
    "都道府県",
    "メールアドレス",
    "会員登録日",
    "購入回数",
    "累計購入金額",
    "定期購入",
    "メール開封率",
    "タグ",
    "タイムゾーン",
    "勤務先への架電不可",
    "会員ランク",
]
MAPPING = {
    "顧客ID": "external_id",
    "氏名": "name",
    "フリガナ": "name_kana",
    "電話番号": "phone",
    "携帯電話": "mobile_phone",
    "性別": "gender",
    "生年月日": "birth_date",
    "郵便番号": "postal_code",
    "都道府県": "prefecture",
    "メールアドレス": "email",
    "会員登録日": "registered_at",
    "購入回数": "purchase_count",
    "累計購入金額": "total_spent",
    "定期購入": "subscription_status",
    "メール開封率": "mail_open_rate",
    "タグ": "tags",
    "タイムゾーン": "time_zone",
    "勤務先への架電不可": "no_workplace_calls",
    "会員ランク": "attr:rank",
}
# Varied cells per column: the fast path's spellings and the converters' slow ones, then (after
# "|") cells the converters refuse.
CELLS = {
    "氏名": (["山田 太郎", "　髙橋 一郎　", "Smith John"], ["", "x" * 201]),
    "フリガナ": (["ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ", "やまだ", "", "ヤマダ　タロウ"], ["ア" * 201]),
    "電話番号": (PHONES, []),
    "携帯電話": (["", "090-1111-2222", "０８０－３３３３－４４４４", "なし", "070-0123-4567"], []),
    "性別": (["男性", "女性", "男", "F", "不明", ""], ["たぶん男"]),
    "生年月日": (
        ["1980/4/1", "1980-04-01", "昭和55年5月6日", "19800401", "1980/4-1", "１９８０/４/１", ""],
        ["1980/02/30", "1700/1/1"],
    ),
    "郵便番号": (["123-4567", "1234567", "〒123-4567", "１２３－４５６７", "12-34", ""], ["12345678901"]),
    "都道府県": (["東京都", "東京", "osaka", "Hawaii", ""], ["とても長い都道府県の名前です"]),
    "メールアドレス": (
        ["a@example.jp", "a.b+c@mail.example.co.jp", "ｱ@example.jp", "", "x@y.z"],
        ["not-an-email", "x@y"],
    ),
    "会員登録日": (
        [
            "2024-01-05 10:20:30",
            "2024/1/5",
            "2024/01/05 9:05",
            "2024-01-05T10:20:30",
            "令和6年1月5日",
            "2024-01-05 10:20:30+09:00",
            "",
        ],
        ["2024-01-05 24:00", "2024/13/01"],
    ),
    "購入回数": (["3", "007", "1,234", "３", ""], ["たくさん", "1234567890"]),
    "累計購入金額": (["12800", "5,000", "¥3,000", "", "00012"], ["-5"]),
    "定期購入": (["契約中", "", "休止", "解約"], ["たぶん"]),
    "メール開封率": (["35%", "0.35", "35", "", "100%"], ["150%"]),
    "タグ": (["VIP、定期", "", "VIP", "、"], ["a" * 51]),
    "タイムゾーン": (["", "Asia/Tokyo", "Pacific/Honolulu"], ["Mars/Olympus"]),
    "勤務先への架電不可": (["", "はい", "0"], ["たぶん"]),
    "会員ランク": (["", "gold", "0012", "3.5"], []),
}


def varied_rows(count=600):
    """Rows with every combination of the cells above (cycled with different periods), a refused
    cell on every sixth row, some repeated customer IDs, short rows, unreadable rows and blank padding."""
    rows = []
    headers = CUSTOMER_HEADERS[1:]
    for n in range(count):
        cells = [f"C{n % 450:05d}" if n % 7 else f"C{n:05d}"]  # some IDs repeat
        for position, header in enumerate(headers, 1):
            good, refused = CELLS[header]
            values = good + refused if n % 6 == 0 and (n // 6) % len(headers) == position - 1 else good
            cells.append(values[(n * (position + 3) + position) % len(values)])
        line = 2 + n
        if n % 97 == 5:
            rows.append((line, cells[:4], False))  # too few values
        elif n % 89 == 3:
            rows.append((line, cells, True))  # unreadable bytes
        elif n % 83 == 7:
            rows.append((line, [*cells, "", " "], False))  # blank cells after the last column
        elif n % 79 == 11:
            rows.append((line, ["", *cells[1:]], False))  # no customer ID
        else:
            rows.append((line, cells, False))
    return rows


def staged(loader, rows, *, columnar: bool, monkeypatch):
    monkeypatch.setattr(staging, "COLUMNAR_MIN_ROWS", 1 if columnar else 10**9)
    monkeypatch.setattr(staging, "CHUNK_ROWS", 250)
    out = []
    for batches, _total in loader.staged_chunks(iter(rows)):
        for batch in batches:
            out += list(csv.reader(io.StringIO(batch.decode())))
    return sorted(out, key=lambda row: int(row[0]))


def customer_loader():
    return CustomerLoader(
        job_id=1,
        mapping=MAPPING,
        headers=CUSTOMER_HEADERS,
        time_zone="Asia/Tokyo",
        normalize_phone=lambda raw: normalize_phone_kind(raw, "JP"),
        phone_region="JP",
    )


@translation.override("en")
def test_a_customer_file_stages_the_same_column_by_column_as_row_by_row(monkeypatch):
    rows = varied_rows()
    by_row = staged(customer_loader(), rows, columnar=False, monkeypatch=monkeypatch)
    by_column = staged(customer_loader(), rows, columnar=True, monkeypatch=monkeypatch)
    assert len(by_row) == len(rows)
    assert by_column == by_row
    errors = [row for row in by_row if row[1]]
    assert 50 < len(errors) < len(rows) - 100  # both kinds of rows are there
    assert any("already appears on line" in row[1] for row in errors)


def test_repeated_ids_fail_in_line_order_across_clean_and_refused_rows(monkeypatch):
    """A customer ID first seen on a row the fast path could not decide, then on a clean row, and
    the other way round: the later line fails, whichever path staged the earlier one."""
    base = ["山田 太郎", "ヤマダ タロウ", "090-1234-5678", "", "男性", "1980/4/1", "123-4567", "東京都"]
    rest = ["a@example.jp", "2024-01-05 10:20:30", "3", "12800", "", "35%", "VIP", "", "", ""]
    slow = ["山田 太郎", "ヤマダ タロウ", "０９０－１２３４－５６７８", "", "男", "昭和55年5月6日", "123-4567", "東京"]
    rows = [
        (2, ["C1", *slow, *rest], False),
        (3, ["C1", *base, *rest], False),
        (4, ["C2", *base, *rest], False),
        (5, ["C2", *slow, *rest], False),
        (6, ["C3", *base[:4], "たぶん男", *base[5:], *rest], False),  # refused: C3 stays free
        (7, ["C3", *base, *rest], False),
    ]
    by_row = staged(customer_loader(), rows, columnar=False, monkeypatch=monkeypatch)
    assert staged(customer_loader(), rows, columnar=True, monkeypatch=monkeypatch) == by_row
    assert [bool(row[1]) for row in by_row] == [False, True, False, True, True, False]


def test_a_dnc_list_stages_the_same_column_by_column_as_row_by_row(monkeypatch):
    headers = ["電話番号", "顧客ID", "理由", "有効期限"]
    mapping = {"電話番号": "phone", "顧客ID": "external_id", "理由": "reason", "有効期限": "expires_at"}
    reasons = ["本人希望", "", "苦情", "わからない"]
    expiries = ["", "2030/1/1", "2030-01-01 10:00", "そのうち"]
    rows = [
        (2 + n, [PHONES[n % len(PHONES)], f"C{n % 5}" if n % 3 else "", reasons[n % 4], expiries[n % 7 % 4]], False)
        for n in range(300)
    ]

    def loader():
        return DncLoader(
            reason="customer_request",
            campaign_id=None,
            note="",
            created_by_id=None,
            job_id=2,
            mapping=mapping,
            headers=headers,
            time_zone="Asia/Tokyo",
            normalize_phone=lambda raw: normalize_phone_kind(raw, "JP"),
            phone_region="JP",
        )

    by_row = staged(loader(), rows, columnar=False, monkeypatch=monkeypatch)
    assert staged(loader(), rows, columnar=True, monkeypatch=monkeypatch) == by_row


def test_small_chunks_stay_row_by_row():
    """A few rows cost more as data frames than as Python rows: the columnar path starts at
    COLUMNAR_MIN_ROWS."""
    assert staging.COLUMNAR_MIN_ROWS >= 100
    assert staging.CHUNK_ROWS >= 10 * staging.COLUMNAR_MIN_ROWS


@pytest.mark.django_db
def test_a_large_import_through_the_columnar_path_loads_what_the_row_path_loads(
    supervisor, settings, tmp_path, monkeypatch
):
    """End to end with the database: the same file imported by each path gives the same customers,
    numbers and error report."""
    from contacts.models import Customer, ImportJob, PhoneNumber
    from contacts.tests.factories_imports import csv_file, run_import

    settings.MEDIA_ROOT = str(tmp_path)
    rows = [CUSTOMER_HEADERS, *(cells for _line, cells, damaged in varied_rows(300) if not damaged)]
    results = []
    for columnar in (False, True):
        monkeypatch.setattr(staging, "COLUMNAR_MIN_ROWS", 1 if columnar else 10**9)
        monkeypatch.setattr(staging, "CHUNK_ROWS", 120)
        job = run_import(supervisor, csv_file(rows), mapping=MAPPING)
        assert job.status == ImportJob.Status.DONE
        customers = sorted(
            Customer.objects.values_list(
                "external_id",
                "name",
                "name_kana",
                "gender",
                "birth_date",
                "postal_code",
                "prefecture",
                "email",
                "registered_at",
                "purchase_count",
                "total_spent",
                "subscription_status",
                "mail_open_rate",
                "tags",
                "time_zone",
                "no_workplace_calls",
                "attributes",
            )
        )
        phones = sorted(
            PhoneNumber.objects.values_list("customer__external_id", "number", "raw", "kind", "is_primary", "is_valid")
        )
        report = list(job.row_errors.order_by("line", "id").values_list("line", "column", "value", "message"))
        counts = (
            job.total_rows,
            job.created_count,
            job.updated_count,
            job.unchanged_count,
            job.failed_count,
            job.message,
        )
        results.append((customers, phones, report, counts))
        PhoneNumber.objects.all().delete()
        Customer.objects.all().delete()
    assert results[1] == results[0]
    assert results[0][2] and results[0][1]
