"""Hostile .xlsx files: a zip bomb is refused from the zip directory before openpyxl opens it, a
sheet's claimed size is not believed, reading stops after a long run of empty rows, and the XML
parser refuses entity declarations (defusedxml)."""

import io
import zipfile

import pytest
from django.utils import translation

from contacts.imports import reading
from contacts.imports.reading import ImportFileError, inspect_file, read_rows
from contacts.tests.factories_imports import xlsx_bytes

SHEET = "xl/worksheets/sheet1.xml"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def inspect(data: bytes):
    return inspect_file(io.BytesIO(data), name="customers.xlsx", size=len(data), kind="customers")


def with_members(data: bytes, replaced: dict[str, bytes]) -> bytes:
    """A copy of the workbook `data` with some of its zip members replaced (or added)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            if member.filename not in replaced:
                target.writestr(member, source.read(member.filename))
        for name, content in replaced.items():
            target.writestr(name, content)
    return buffer.getvalue()


def sheet_xml(rows: dict[int, dict[str, str]], *, dimension: str = "", prolog: str = "") -> bytes:
    """Worksheet XML with inline-string cells: {row number: {cell reference: text}}."""
    body = "".join(
        f'<row r="{number}">'
        + "".join(f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>' for ref, text in cells.items())
        + "</row>"
        for number, cells in rows.items()
    )
    dimension_element = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="{MAIN_NS}">{dimension_element}'
        f"<sheetData>{body}</sheetData></worksheet>"
    ).encode()


@pytest.fixture
def openpyxl_must_not_open(monkeypatch):
    import openpyxl

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl opened a workbook that the zip directory already condemned")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


def zip_bomb(unpacked_megabytes: int) -> bytes:
    """A real, valid workbook whose sheet unpacks to `unpacked_megabytes` MB of rows holding the
    same long text: deflate packs it about 1000 to 1."""
    workbook = xlsx_bytes([["顧客ID", "氏名"], ["C1", "山田 太郎"]])
    source = zipfile.ZipFile(io.BytesIO(workbook))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            if member.filename != SHEET:
                target.writestr(member, source.read(member.filename))
        with target.open(SHEET, "w", force_zip64=True) as sheet:
            sheet.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}"><sheetData>'.encode())
            row = '<row><c t="inlineStr"><is><t>{}</t></is></c></row>'.format("A" * 4000).encode()
            for _ in range(unpacked_megabytes * 1024 * 1024 // len(row)):
                sheet.write(row)
            sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_from_its_zip_directory_before_openpyxl_opens_it(openpyxl_must_not_open):
    data = zip_bomb(200)
    assert len(data) < 1024 * 1024  # 200 MB of XML in a file a supervisor could mail
    with pytest.raises(ImportFileError, match="packed far more tightly than a spreadsheet"):
        inspect(data)


def test_a_workbook_that_unpacks_past_the_limit_is_refused(settings, openpyxl_must_not_open):
    settings.XLSX_MAX_UNPACKED_BYTES = 64 * 1024
    rows = {1: {"A1": "顧客ID", "B1": "氏名"}}
    rows.update({n: {f"A{n}": f"C{n:06d}", f"B{n}": f"名前{n * 7919 % 100003}"} for n in range(2, 3000)})
    data = with_members(xlsx_bytes([["顧客ID"]]), {SHEET: sheet_xml(rows)})
    with pytest.raises(ImportFileError, match=r"unpacks to 0\.\d+ MB; the limit is 0\.1 MB"):
        inspect(data)


def test_the_limits_are_told_in_japanese_too(settings):
    with translation.override("ja"):
        with pytest.raises(ImportFileError, match="圧縮率"):
            inspect(zip_bomb(20))
        settings.XLSX_MAX_UNPACKED_BYTES = 1024
        with pytest.raises(ImportFileError, match="展開すると"):
            inspect(xlsx_bytes([["顧客ID", "氏名"], ["C1", "山田 太郎"]]))


def test_an_ordinary_workbook_passes_the_checks():
    data = xlsx_bytes([["顧客ID", "氏名"], *[[f"C{n}", "山田 太郎"] for n in range(2000)]])
    inspection = inspect(data)
    assert inspection.headers == ["顧客ID", "氏名"]
    assert inspection.estimated_rows == 2000
    assert len(list(read_rows(io.BytesIO(data), inspection))) == 2000


@pytest.fixture
def few_cells_converted(monkeypatch):
    """Fails the test at once when reading converts more cells than a small sheet has, instead of
    letting it grind through a sheet padded to its claimed 16,384 x 1,048,576 cells."""
    calls = {"n": 0}
    convert = reading.cell_text

    def counted(value):
        calls["n"] += 1
        if calls["n"] > 50_000:
            raise AssertionError("reading went far past the cells the sheet holds")
        return convert(value)

    monkeypatch.setattr(reading, "cell_text", counted)
    return calls


def test_a_one_cell_sheet_claiming_the_whole_grid_is_read_as_one_cell(few_cells_converted):
    data = with_members(xlsx_bytes([["顧客ID"]]), {SHEET: sheet_xml({1: {"A1": "顧客ID"}}, dimension="A1:XFD1048576")})
    inspection = inspect(data)
    assert inspection.headers == ["顧客ID"]
    assert inspection.estimated_rows == 0  # not 1,048,575
    assert list(read_rows(io.BytesIO(data), inspection)) == []


def test_rows_far_below_are_read_until_a_long_run_of_empty_rows(settings, few_cells_converted):
    settings.XLSX_MAX_EMPTY_ROWS = 100
    rows = {
        1: {"A1": "顧客ID", "B1": "氏名"},
        2: {"A2": "C1", "B2": "山田"},
        60: {"A60": "C2", "B60": "佐藤"},  # after 57 empty rows: read
        500: {"A500": "C3", "B500": "鈴木"},  # after 439: reading stopped before
        10_000_000_000: {"A10000000000": "C4"},  # a row number no sheet has: never reached
    }
    data = with_members(xlsx_bytes([["顧客ID"]]), {SHEET: sheet_xml(rows, dimension="A1:B10000000000")})
    inspection = inspect(data)
    assert [(line, cells) for line, cells, _bad in read_rows(io.BytesIO(data), inspection)] == [
        (2, ["C1", "山田"]),
        (60, ["C2", "佐藤"]),
    ]


def test_a_cell_far_to_the_right_does_not_widen_every_row(few_cells_converted):
    rows = {1: {"A1": "顧客ID", "B1": "氏名"}}
    rows.update({n: {f"A{n}": f"C{n}", f"B{n}": "山田", f"XFD{n}": "x"} for n in range(2, 2000)})
    rows[2000] = {"A2000": "C2000", "B2000": "佐藤", "C2000": "余分"}
    data = with_members(xlsx_bytes([["顧客ID"]]), {SHEET: sheet_xml(rows)})
    inspection = inspect(data)
    assert inspection.headers == ["顧客ID", "氏名"]
    read = list(read_rows(io.BytesIO(data), inspection))
    assert read[0] == (2, ["C2", "山田"], False)
    # A value just right of the header is kept, so the import reports the row as too wide.
    assert read[-1] == (2000, ["C2000", "佐藤", "余分"], False)


def test_the_xml_parser_refuses_entity_declarations():
    import openpyxl

    assert openpyxl.DEFUSEDXML, "defusedxml is not installed: openpyxl parses with the plain stdlib parser"
    prolog = '<!DOCTYPE worksheet [<!ENTITY name "山田 太郎">]>'
    xml = sheet_xml({1: {"A1": "顧客ID", "B1": "氏名"}, 2: {"A2": "C1", "B2": "&name;"}}, prolog=prolog)
    data = with_members(xlsx_bytes([["顧客ID"]]), {SHEET: xml})
    with pytest.raises(ImportFileError, match="cannot be read"):
        inspect(data)
