"""Reading an uploaded CSV or XLSX file: encoding, delimiter, header, rows.

`inspect_file` looks at the start of a file and refuses bad files with a message a supervisor
understands; `read_rows` then streams every data row with its line number (the header is line 1,
the first data row line 2, as in Excel)."""

import codecs
import csv
import datetime
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePath

from django.utils.translation import gettext as _

from callcenter.uploads import megabytes

from . import fields

# Encodings we read. Shift_JIS is read as CP932, Microsoft's superset that Excel in Japan writes
# (it has ①, ㈱, 髙 and friends that strict Shift_JIS lacks).
ENCODINGS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (BOM)",
    "cp932": "Shift_JIS (CP932)",
    "utf-16": "UTF-16 (BOM)",
}
ENCODING_ALIASES = {
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "utf_8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "utf8-sig": "utf-8-sig",
    "utf-8-bom": "utf-8-sig",
    "utf_8_sig": "utf-8-sig",
    "cp932": "cp932",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "ms932": "cp932",
    "windows-31j": "cp932",
    "x-sjis": "cp932",
    "utf-16": "utf-16",
    "utf16": "utf-16",
}
SAMPLE_BYTES = 4 * 1024 * 1024
PREVIEW_ROWS = 5
CSV_EXTENSIONS = {".csv", ".txt", ".tsv"}
XLSX_EXTENSIONS = {".xlsx", ".xlsm"}

# Start of well-known binary formats people upload by mistake.
_MAGIC = [
    (b"PK\x03\x04", "zip"),
    (b"\xd0\xcf\x11\xe0", "xls"),
    (b"%PDF", "pdf"),
    (b"\x89PNG", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF8", "image"),
]
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_DATA_LIKE = re.compile(
    r"^(?:[+＋]?[\d０-９][\d０-９\-‐－ー() ]{7,}"  # a phone number
    r"|\d{4}[/\-年]\d{1,2}[/\-月]\d{1,2}日?"  # a date
    r"|[^@\s]+@[^@\s]+\.\w+"  # an e-mail address
    r"|-?\d+(?:\.\d+)?)$"  # a number
)


class ImportFileError(Exception):
    """A file that cannot be imported at all; the message says why, for the person who sent it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Inspection:
    format: str  # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ","
    has_header: bool = True
    header_line: int = 1
    headers: list[str] = field(default_factory=list)
    preview: list[tuple[int, list[str]]] = field(default_factory=list)  # (line, cells)
    estimated_rows: int | None = None

    def as_options(self) -> dict:
        return {
            "format": self.format,
            "delimiter": self.delimiter,
            "has_header": self.has_header,
            "header_line": self.header_line,
            "headers": self.headers,
        }


def normalise_encoding(name: str | None) -> str:
    """'' for automatic detection, else one of ENCODINGS; ValueError for anything else."""
    if not name or name == "auto":
        return ""
    key = name.strip().lower()
    if key not in ENCODING_ALIASES:
        raise ValueError(name)
    return ENCODING_ALIASES[key]


def file_format(name: str) -> str:
    suffix = PurePath(name or "").suffix.lower()
    if suffix in CSV_EXTENSIONS:
        return "csv"
    if suffix in XLSX_EXTENSIONS:
        return "xlsx"
    if suffix == ".xls":
        raise ImportFileError(
            _("Old Excel files (.xls) cannot be read: save the sheet as .xlsx or CSV and upload that.")
        )
    raise ImportFileError(_("Upload a CSV (.csv) or Excel (.xlsx) file."))


def inspect_file(fileobj, *, name: str, size: int, kind: str, encoding: str = "") -> Inspection:
    """Check a file and read its header and first rows. Raises ImportFileError for a bad file."""
    from django.conf import settings

    if size > settings.IMPORT_MAX_BYTES:
        raise ImportFileError(
            _("The file is too large (%(size)s MB); the limit is %(limit)s MB. Split it into smaller files.")
            % {"size": megabytes(size), "limit": megabytes(settings.IMPORT_MAX_BYTES)}
        )
    fmt = file_format(name)
    fileobj.seek(0)
    head = fileobj.read(SAMPLE_BYTES)
    fileobj.seek(0)
    if not head.strip():
        raise ImportFileError(_("The file is empty."))
    if fmt == "xlsx":
        inspection = _inspect_xlsx(fileobj, head, kind)
    else:
        inspection = _inspect_csv(head, complete=len(head) < SAMPLE_BYTES, encoding=encoding, kind=kind)
        inspection.estimated_rows = _count_lines(fileobj) - inspection.header_line + (0 if inspection.has_header else 1)
    _check_header(inspection)
    return inspection


def _count_lines(fileobj) -> int:
    fileobj.seek(0)
    lines, last = 0, b""
    while chunk := fileobj.read(1024 * 1024):
        lines += chunk.count(b"\n")
        last = chunk
    fileobj.seek(0)
    return lines + (0 if last.endswith(b"\n") else 1)


def detect_encoding(head: bytes, *, complete: bool) -> str:
    """The encoding of a text sample, or ImportFileError when it is not readable text. A few
    damaged bytes do not make a UTF-8 file Shift_JIS: their rows are reported, the rest loads."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    _refuse_binary(head)
    for candidate in ("utf-8", "cp932"):
        if _decode_errors(head, candidate, complete=complete, limit=0) == 0:
            return candidate
    for candidate in ("utf-8", "cp932"):
        if _few_errors(head, candidate, complete=complete):
            return candidate
    raise ImportFileError(
        _("The file is not readable text in UTF-8 or Shift_JIS. Save it from Excel as “CSV UTF-8” and try again.")
    )


def _decode_errors(data: bytes, encoding: str, *, complete: bool, limit: int = 1000) -> int:
    """How many undecodable byte sequences `data` has in `encoding` (counting stops at `limit`)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    errors = position = 0
    while errors <= limit:
        try:
            decoder.decode(view[position:], final=complete)
            return errors
        except UnicodeDecodeError as error:
            errors += 1
            position += error.end
            decoder.reset()
    return errors


def _few_errors(data: bytes, encoding: str, *, complete: bool) -> bool:
    """Readable in `encoding` but for a few damaged bytes (at most 1 in 10,000, or 3)."""
    allowed = max(3, len(data) // 10000)
    return _decode_errors(data, encoding, complete=complete, limit=allowed) <= allowed


def _refuse_binary(head: bytes) -> None:
    for magic, what in _MAGIC:
        if head.startswith(magic):
            if what in ("zip", "xls"):
                raise ImportFileError(
                    _(
                        "This is an Excel workbook or another binary file, not CSV text. Upload a .xlsx file with its "
                        ".xlsx name, or save the sheet as CSV."
                    )
                )
            raise ImportFileError(_("This is a binary file (PDF, image, …), not CSV text."))
    if b"\x00" in head[:65536]:
        raise ImportFileError(_("This is a binary file, not CSV text."))


def _inspect_csv(head: bytes, *, complete: bool, encoding: str, kind: str) -> Inspection:
    if encoding:
        if encoding != "utf-16":
            _refuse_binary(head)
        if not _few_errors(head, encoding, complete=complete):
            raise ImportFileError(
                _("The file cannot be read as %(encoding)s. Choose another encoding or leave it on automatic.")
                % {"encoding": ENCODINGS[encoding]}
            )
    else:
        encoding = detect_encoding(head, complete=complete)
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=complete)
    if encoding == "utf-8" and text.startswith("\ufeff"):
        encoding, text = "utf-8-sig", text[1:]
    if encoding == "utf-16":
        text = text.lstrip("\ufeff")
    if not complete:
        # The sample may end inside a row: keep whole lines only.
        text = text[: max(text.rfind("\n"), 0)]
    sample = text[:65536]
    if len(_CONTROL.findall(sample)) > max(3, len(sample) // 200):
        raise ImportFileError(_("This is a binary file, not CSV text."))
    inspection = Inspection(format="csv", encoding=encoding)
    lines = text.splitlines()
    first = next((line for line in lines if line.strip(" ,\t\ufeff")), "")
    if not first:
        raise ImportFileError(_("The file is empty."))
    inspection.delimiter = _detect_delimiter(first)
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=inspection.delimiter)
    line = 0
    try:
        for cells in reader:
            start, line = line + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                rows.append((start, cells))
            if len(rows) > PREVIEW_ROWS:
                break
    except csv.Error as error:
        raise ImportFileError(_("The file is not valid CSV: %(error)s") % {"error": error}) from error
    _set_header(inspection, rows, kind)
    return inspection


def _detect_delimiter(first_line: str) -> str:
    counts = {delimiter: _count_outside_quotes(first_line, delimiter) for delimiter in (",", "\t", ";", "|")}
    if counts[","]:
        return ","
    if counts["\t"]:
        return "\t"
    if counts[";"] or counts["|"]:
        used = ";" if counts[";"] >= counts["|"] else "|"
        raise ImportFileError(
            _(
                "The columns are separated by “%(delimiter)s”. Save the file as comma-separated CSV (or "
                "tab-separated) and upload it again."
            )
            % {"delimiter": used}
        )
    return ","


def _count_outside_quotes(line: str, char: str) -> int:
    count, quoted = 0, False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == char and not quoted:
            count += 1
    return count


def _set_header(inspection: Inspection, rows: list[tuple[int, list[str]]], kind: str) -> None:
    if not rows:
        raise ImportFileError(_("The file is empty."))
    header_line, header = rows[0]
    cleaned = [cell.strip().lstrip("\ufeff") for cell in header]
    recognised = [fields.recognise_header(cell, kind) for cell in cleaned]
    looks_like_data = any(_DATA_LIKE.match(unicodedata.normalize("NFKC", cell)) for cell in cleaned if cell)
    if kind == "dnc" and looks_like_data and not any(recognised):
        # A bare list of numbers, one per line, is a normal DNC file.
        inspection.has_header = False
        inspection.header_line = 0
        width = max(len(cells) for _line, cells in rows)
        inspection.headers = [_("Column %(number)s") % {"number": i + 1} for i in range(width)]
        inspection.preview = rows[:PREVIEW_ROWS]
        return
    if looks_like_data and not any(recognised):
        raise ImportFileError(
            _(
                "The first row must hold the column names (for example 顧客ID, 氏名, 電話番号), "
                "but it looks like data: %(row)s"
            )
            % {"row": ", ".join(cleaned[:4])}
        )
    inspection.header_line = header_line
    inspection.headers = unique_headers(cleaned)
    inspection.preview = rows[1 : PREVIEW_ROWS + 1]


def unique_headers(cells: list[str]) -> list[str]:
    """Headers usable as mapping keys: blanks get a name, repeats get a number."""
    headers, seen = [], {}
    for index, cell in enumerate(cells):
        name = cell or _("Column %(number)s") % {"number": index + 1}
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        headers.append(name)
    return headers


def _check_header(inspection: Inspection) -> None:
    if not inspection.headers or not any(h.strip() for h in inspection.headers):
        raise ImportFileError(_("The file has no header row."))


# ---------------------------------------------------------------- XLSX


# Columns read while looking for the header: a row claiming a cell in column XFD (16,384) must
# not make every row that wide. Data rows are read as wide as the header, plus one column to tell
# a row that is too wide.
XLSX_HEADER_MAX_COLUMNS = 1000
# A row element at least: <row r="1"><c r="A1"/></row>, with no spaces and no namespace prefix.
_XLSX_ROW_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")


def _inspect_xlsx(fileobj, head: bytes, kind: str) -> Inspection:
    if not head.startswith(b"PK"):
        raise ImportFileError(_("This file is not an Excel .xlsx workbook. Upload a CSV or .xlsx file."))
    inspection = Inspection(format="xlsx")
    rows = []
    with _open_sheet(fileobj) as sheet:
        for line, cells in _sheet_rows(sheet, min_row=1, width=XLSX_HEADER_MAX_COLUMNS):
            if any(cell.strip() for cell in cells):
                rows.append((line, _without_trailing_blanks(cells)))
            if len(rows) > PREVIEW_ROWS:
                break
        row_elements = _count_row_elements(sheet)
    if not rows:
        raise ImportFileError(_("The file is empty."))
    _set_header(inspection, rows, kind)
    if row_elements is not None:
        inspection.estimated_rows = max(row_elements - 1, 0) if inspection.has_header else row_elements
    return inspection


def _sheet_rows(sheet, *, min_row: int, width: int):
    """(line, cells) of the non-empty rows from `min_row` on, each exactly `width` cells wide.
    Reading stops after XLSX_MAX_EMPTY_ROWS empty rows in a row: a sheet may name any row number
    (row 10,000,000,000 after row 1), and openpyxl hands out every row in between."""
    from django.conf import settings

    empty_run = 0
    for line, values in enumerate(sheet.iter_rows(values_only=True, min_row=min_row, max_col=width), start=min_row):
        if values.count(None) == len(values):
            empty_run += 1
            if empty_run >= settings.XLSX_MAX_EMPTY_ROWS:
                return
            continue
        cells = [cell_text(value) for value in values]
        if any(cells):
            empty_run = 0
            yield line, cells
        else:
            empty_run += 1


def _without_trailing_blanks(cells: list[str]) -> list[str]:
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return cells[:end]


def _count_row_elements(sheet) -> int | None:
    """How many rows the sheet's XML holds, counted in the unpacked XML (the size of which
    _check_archive bounded); None when openpyxl no longer names the sheet's file."""
    path = getattr(sheet, "_worksheet_path", None)
    if not path:
        return None
    count, pending = 0, b""
    with sheet.parent._archive.open(path) as xml:
        while chunk := xml.read(1024 * 1024):
            data = pending + chunk
            complete = max(len(data) - 64, 0)  # a match starting later may go on in the next chunk
            count += sum(1 for match in _XLSX_ROW_START.finditer(data) if match.start() < complete)
            pending = data[complete:]
    return count + len(_XLSX_ROW_START.findall(pending))


def _check_archive(fileobj) -> None:
    """Refuse a workbook that would unpack to too much before openpyxl opens it: its sizes come
    from the zip directory, which zipfile then holds every member to while reading it (a member
    that unpacks to more than its entry says fails its check)."""
    from django.conf import settings

    try:
        members = zipfile.ZipFile(fileobj).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise ImportFileError(
            _("The Excel file cannot be read; it may be damaged. Open it in Excel and save it again.")
        ) from error
    unpacked = sum(member.file_size for member in members)
    if unpacked > settings.XLSX_MAX_UNPACKED_BYTES:
        raise ImportFileError(
            _("The Excel file unpacks to %(size)s MB; the limit is %(limit)s MB. Split it into smaller files.")
            % {"size": megabytes(unpacked), "limit": megabytes(settings.XLSX_MAX_UNPACKED_BYTES)}
        )
    for member in members:
        # Small members compress as they like; a spreadsheet's XML packs about 10 to 25 to 1.
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 1024 * 1024 and ratio > settings.XLSX_MAX_COMPRESSION_RATIO:
            raise ImportFileError(
                _(
                    "The Excel file is packed far more tightly than a spreadsheet can be (%(ratio)s to 1) and is "
                    "refused. Open it in Excel and save it again."
                )
                % {"ratio": int(ratio)}
            )


class _open_sheet:
    """The first worksheet of a workbook, read-only (streams rows, little memory). The sheet's
    own claim of its size (<dimension ref="A1:XFD1048576"/>) is ignored: openpyxl would pad every
    row to the claimed width and add empty rows up to the claimed height."""

    def __init__(self, fileobj):
        self.fileobj = fileobj

    def __enter__(self):
        import openpyxl

        self.fileobj.seek(0)
        _check_archive(self.fileobj)
        self.fileobj.seek(0)
        try:
            self.workbook = openpyxl.load_workbook(self.fileobj, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
            raise ImportFileError(
                _("The Excel file cannot be read; it may be damaged. Open it in Excel and save it again.")
            ) from error
        except Exception as error:  # openpyxl raises its own InvalidFileException and friends
            raise ImportFileError(
                _("The Excel file cannot be read; it may be damaged. Open it in Excel and save it again.")
            ) from error
        sheet = self.workbook.worksheets[0]
        sheet.reset_dimensions()
        return sheet

    def __exit__(self, *exc):
        self.workbook.close()
        self.fileobj.seek(0)
        return False


def cell_text(value) -> str:
    """An XLSX cell as the text a CSV export of it would hold."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    return str(value)


# ---------------------------------------------------------------- rows


def read_rows(fileobj, inspection: Inspection):
    """Yield (line, cells, unreadable) for every non-empty data row. `unreadable` is True when
    the row held bytes that are not valid in the file's encoding (replaced by U+FFFD) or NUL
    characters (which PostgreSQL text cannot hold)."""
    if inspection.format == "xlsx":
        yield from _xlsx_rows(fileobj, inspection)
    else:
        yield from _csv_rows(fileobj, inspection)


def _csv_rows(fileobj, inspection: Inspection):
    fileobj.seek(0)
    text = io.TextIOWrapper(fileobj, encoding=inspection.encoding, errors="replace", newline="")
    damaged = [False]

    def lines():
        for physical in text:
            if "\ufffd" in physical or "\x00" in physical:
                damaged[0] = True
            yield physical

    reader = csv.reader(lines(), delimiter=inspection.delimiter)
    skip_until = inspection.header_line
    last = 0
    try:
        for cells in reader:
            line, last = last + 1, reader.line_num
            if line <= skip_until:
                damaged[0] = False
                continue
            if damaged[0]:
                damaged[0] = False
                yield line, cells, True
            elif any(cells):
                yield line, cells, False
    except csv.Error as error:
        raise ImportFileError(
            _("The file is not valid CSV near line %(line)s: %(error)s") % {"line": last + 1, "error": error}
        ) from error
    finally:
        text.detach()


def _xlsx_rows(fileobj, inspection: Inspection):
    width = len(inspection.headers)
    with _open_sheet(fileobj) as sheet:
        for line, cells in _sheet_rows(sheet, min_row=inspection.header_line + 1, width=width + 1):
            yield line, cells if cells[width] else cells[:width], False
