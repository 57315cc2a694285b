"""Reading uploaded files: encodings, header recognition, delimiters, XLSX, and every bad file."""

import io

import pytest
from django.utils import translation

from contacts.imports import fields
from contacts.imports.reading import ImportFileError, inspect_file, read_rows
from contacts.tests.factories_imports import HEADER, ROWS, csv_bytes, xlsx_bytes


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def inspect(data: bytes, *, name="customers.csv", kind="customers", encoding=""):
    return inspect_file(io.BytesIO(data), name=name, size=len(data), kind=kind, encoding=encoding)


def rows_of(data: bytes, inspection):
    return list(read_rows(io.BytesIO(data), inspection))


# ---------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    "encoding, detected",
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("cp932", "cp932"),
    ],
)
def test_encoding_is_detected_and_text_reads_back(encoding, detected):
    data = csv_bytes([HEADER, *ROWS], encoding=encoding)
    inspection = inspect(data)
    assert inspection.encoding == detected
    assert inspection.headers == HEADER  # no BOM left on 顧客ID
    rows = rows_of(data, inspection)
    assert [cells[1] for _line, cells, _bad in rows] == ["山田 太郎", "佐藤 花子", "鈴木 一郎"]
    assert rows[1][1][3] == "０６－１２３４－５６７８"


def test_cp932_only_characters_are_read():
    # ① and 髙 exist in CP932 (what Excel writes) but not in strict Shift_JIS.
    data = csv_bytes([["顧客ID", "氏名", "備考"], ["C1", "髙橋 一郎", "①番窓口"]], encoding="cp932")
    inspection = inspect(data)
    assert inspection.encoding == "cp932"
    assert rows_of(data, inspection)[0][1] == ["C1", "髙橋 一郎", "①番窓口"]


def test_encoding_can_be_overridden_and_a_wrong_choice_is_refused():
    data = csv_bytes([HEADER, *ROWS], encoding="cp932")
    assert inspect(data, encoding="cp932").encoding == "cp932"
    with pytest.raises(ImportFileError, match="UTF-8"):
        inspect(data, encoding="utf-8")


def test_bytes_invalid_in_the_encoding_mark_only_their_row():
    good = csv_bytes([HEADER, ROWS[0]], encoding="utf-8")
    data = good + b"C0009,\xff\xfe broken,,,,,,,,,\r\n" + csv_bytes([ROWS[2]])
    inspection = inspect(data, encoding="utf-8")
    rows = rows_of(data, inspection)
    assert [(line, damaged) for line, _cells, damaged in rows] == [(2, False), (3, True), (4, False)]


# ---------------------------------------------------------------- headers


@pytest.mark.parametrize(
    "header, target",
    [
        ("顧客ID", "external_id"),
        ("顧客ＩＤ", "external_id"),
        ("顧客 ID", "external_id"),
        ("会員番号", "external_id"),
        ("Customer ID", "external_id"),
        ("customer_id", "external_id"),
        ("氏名", "name"),
        ("お名前", "name"),
        ("Name", "name"),
        ("フリガナ", "name_kana"),
        ("ふりがな", "name_kana"),
        ("電話番号", "phone"),
        ("TEL", "phone"),
        ("携帯電話", "mobile_phone"),
        ("携帯番号", "mobile_phone"),
        ("性別", "gender"),
        ("生年月日", "birth_date"),
        ("Date of birth", "birth_date"),
        ("都道府県", "prefecture"),
        ("最終購入日", "last_purchase_at"),
        ("購入回数", "purchase_count"),
        ("累計購入金額", "total_spent"),
        ("姓", "last_name"),
        ("名", "first_name"),
        ("メールアドレス", "email"),
        ("郵便番号", "postal_code"),
        ("好きな色", ""),
    ],
)
def test_common_japanese_and_english_headers_are_recognised(header, target):
    assert fields.recognise_header(header) == target


def test_suggested_mapping_uses_each_field_once():
    mapping = fields.suggest_mapping(["顧客ID", "電話番号", "TEL", "会員番号", "メモ"])
    assert mapping == {"顧客ID": "external_id", "電話番号": "phone", "TEL": "", "会員番号": "", "メモ": "notes"}


def test_mapping_without_required_columns_is_refused():
    headers = ["顧客ID", "電話番号"]
    errors = fields.validate_mapping({"顧客ID": "external_id", "電話番号": "phone"}, headers=headers, kind="customers")
    assert any("氏名" in error for error in errors)
    errors = fields.validate_mapping({"顧客ID": "name", "電話番号": "name"}, headers=headers, kind="customers")
    assert any("two columns" in error for error in errors)
    assert any("顧客ID" in error for error in errors)


def test_repeated_and_blank_headers_get_names():
    inspection = inspect(csv_bytes([["顧客ID", "氏名", "メモ", "メモ", ""], ["C1", "A", "x", "y", "z"]]))
    assert inspection.headers == ["顧客ID", "氏名", "メモ", "メモ (2)", "Column 5"]


def test_preview_gives_file_line_numbers_header_being_line_1():
    inspection = inspect(csv_bytes([HEADER, *ROWS]))
    assert inspection.header_line == 1
    assert [line for line, _cells in inspection.preview] == [2, 3, 4]


def test_line_numbers_count_physical_lines_of_multiline_cells():
    data = csv_bytes([["顧客ID", "氏名", "備考"], ["C1", "A", "一行目\n二行目"], ["C2", "B", ""]])
    inspection = inspect(data)
    assert [line for line, _cells, _bad in rows_of(data, inspection)] == [2, 4]


def test_tab_separated_files_are_read():
    data = csv_bytes([HEADER, *ROWS], delimiter="\t", encoding="utf-16")
    inspection = inspect(data, name="export.txt")
    assert inspection.delimiter == "\t"
    assert inspection.encoding == "utf-16"
    assert rows_of(data, inspection)[0][1][1] == "山田 太郎"


# ---------------------------------------------------------------- XLSX


def test_xlsx_cells_read_like_a_csv_export():
    import datetime

    data = xlsx_bytes(
        [
            ["顧客ID", "氏名", "電話番号", "生年月日", "購入回数", "累計購入金額"],
            ["C1", "山田 太郎", 9012345678, datetime.datetime(1980, 4, 1), 3, 12800.0],
            [None, None, None, None, None, None],
            ["C2", "佐藤 花子", "03-1234-5678", datetime.date(1990, 1, 2), 1.5, None],
        ]
    )
    inspection = inspect(data, name="customers.xlsx")
    assert inspection.format == "xlsx"
    assert inspection.headers[0] == "顧客ID"
    rows = rows_of(data, inspection)
    assert rows[0] == (2, ["C1", "山田 太郎", "9012345678", "1980-04-01", "3", "12800"], False)
    assert rows[1][0] == 4  # the empty row 3 is skipped, numbering is kept
    assert rows[1][1][4] == "1.5"


# ---------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"\r\n\r\n  \r\n", "empty"),
        (b"\xef\xbb\xbf", "empty"),
    ],
)
def test_empty_file_is_refused(data, message):
    with pytest.raises(ImportFileError, match=message):
        inspect(data)


def test_file_without_header_row_is_refused():
    data = csv_bytes(ROWS)
    with pytest.raises(ImportFileError, match="column names"):
        inspect(data)


def test_binary_file_named_csv_is_refused():
    with pytest.raises(ImportFileError, match="binary"):
        inspect(b"\x00\x01\x02\x03garbage\x00" * 100)
    with pytest.raises(ImportFileError, match="not CSV"):
        inspect(xlsx_bytes([["顧客ID", "氏名"]]), name="customers.csv")
    with pytest.raises(ImportFileError, match="binary"):
        inspect(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    with pytest.raises(ImportFileError, match="binary"):
        inspect(bytes(range(1, 32)) * 200)


def test_wrong_delimiter_is_refused_with_the_delimiter_named():
    data = csv_bytes([HEADER, *ROWS], delimiter=";")
    with pytest.raises(ImportFileError, match="“;”"):
        inspect(data)


def test_file_over_the_size_limit_is_refused(settings):
    settings.IMPORT_MAX_BYTES = 100
    data = csv_bytes([HEADER, *ROWS])
    with pytest.raises(ImportFileError, match="too large"):
        inspect(data)


@pytest.mark.parametrize("name, message", [("customers.xls", ".xls"), ("customers.pdf", "CSV"), ("noextension", "CSV")])
def test_unsupported_file_types_are_refused(name, message):
    with pytest.raises(ImportFileError, match=message):
        inspect(csv_bytes([HEADER, *ROWS]), name=name)


def test_damaged_xlsx_is_refused():
    data = xlsx_bytes([["顧客ID", "氏名"]])[:300]
    with pytest.raises(ImportFileError, match="Excel"):
        inspect(data, name="customers.xlsx")


def test_dnc_list_without_header_is_a_list_of_numbers():
    data = "090-1234-5678\r\n03-1111-2222\r\n".encode("cp932")
    inspection = inspect(data, kind="dnc")
    assert not inspection.has_header
    assert [line for line, _cells, _bad in rows_of(data, inspection)] == [1, 2]
