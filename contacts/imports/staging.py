"""The one streaming pass over the file: rows are checked, typed and COPYed into staging tables.

Python reads the CSV/XLSX, checks each row (number of values, readable text, required cells, a
key repeated from an earlier line), converts each cell (converters.py) and normalizes phone
numbers; a row with any problem is staged with its list of errors instead of values. The pass
produces COPY data (CSV) in chunks of CHUNK_ROWS rows; each chunk goes to a TEMP table of its
own and is applied while the next chunk is being prepared (pipeline.py).

Staging table columns: line, errors (JSON [[column, value, message], ...] or NULL), one typed
column per mapped column, and for each phone column <name> (raw text), <name>_number,
<name>_valid, <name>_kind."""

import csv
import io
import json
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .converters import Invalid

CHUNK_ROWS = 100_000  # rows per chunk: applied while the next is being read
# The first chunk is smaller: PostgreSQL waits for it doing nothing (a second at CHUNK_ROWS).
FIRST_CHUNK_ROWS = 10_000
BATCH_ROWS = 2_000  # rows per COPY buffer on the row-by-row path
# Chunks this large are checked and converted column by column with polars (columnar.py).
COLUMNAR_MIN_ROWS = 1_000
WHITESPACE = " \t\u3000\ufeff"


@dataclass(frozen=True)
class StagedColumn:
    """One file column staged as column `name` of type `sql_type` by `convert`."""

    name: str
    index: int
    header: str
    target: str
    convert: object
    sql_type: str = "text"
    kind: str = ""  # fields.Target.kind ("keep" for attributes): picks the columnar fast path
    max_length: int | None = None


@dataclass(frozen=True)
class StagedPhone:
    """A phone column: its raw text plus the normalized number, validity and kind."""

    name: str
    index: int
    header: str
    target: str
    kind: str  # fixed kind of the column ("mobile", "home", "work") or "" to take the number's


@dataclass(frozen=True)
class RequiredCells:
    """A row fails with `message` (about column `header`) when all of `names` are empty."""

    names: tuple[str, ...]
    header: str
    message: str


@dataclass(frozen=True)
class UniqueKey:
    """A row whose `name` value appeared on an earlier valid line fails with `message`
    (a format string with {line})."""

    name: str
    header: str
    message: str


def table_definition(columns: list[StagedColumn], phones: list[StagedPhone]) -> str:
    definitions = ["line integer NOT NULL", "errors text"]
    definitions += [f"{c.name} {c.sql_type}" for c in columns]
    for phone in phones:
        definitions += [
            f"{phone.name} text",
            f"{phone.name}_number text",
            f"{phone.name}_valid boolean",
            f"{phone.name}_kind text",
        ]
    return ", ".join(definitions)


class _CopySource:
    """File-like object for cursor.copy_expert: each read() returns the next batch of rows."""

    def __init__(self, batches):
        self.batches = iter(batches)

    def read(self, size=-1):
        return next(self.batches, b"")


def copy_chunk(cursor, *, table: str, definition: str, batches: list[bytes], analyze: list[str]) -> None:
    """Create TEMP table `table` and COPY a chunk's batches into it."""
    cursor.execute(f"DROP TABLE IF EXISTS {table}")
    cursor.execute(f"CREATE TEMP TABLE {table} ({definition})")
    cursor.copy_expert(f"COPY {table} FROM STDIN WITH (FORMAT csv)", _CopySource(batches), 1 << 20)
    if analyze:
        cursor.execute(f"ANALYZE {table} ({', '.join(analyze)})")


class RowStager:
    """Checks and converts one row at a time: the reference behaviour of staging. The columnar path
    (columnar.py) hands it every row it cannot decide itself, so both give the same staged data."""

    def __init__(self, *, columns, phones, required, unique, width, normalize_phone):
        self.columns = columns
        self.phones = phones
        self.unique = unique
        self.width = width
        self.normalize_phone = normalize_phone
        self.specs = [(c.index, c.convert, c.header) for c in columns]
        self.phone_specs = [(p.index, p.kind) for p in phones]
        positions = {c.name: 2 + i for i, c in enumerate(columns)}
        for i, p in enumerate(phones):
            positions[p.name] = 2 + len(columns) + 4 * i + 1  # the normalized number
        self.required_checks = [([positions[n] for n in r.names], r.header, r.message) for r in required]
        self.key_position = positions[unique.name] if unique else None
        self.first_lines: dict[str, int] = {}  # customer ID -> first valid line, across chunks
        self.padding = (None,) * (len(columns) + 4 * len(phones))
        self.wrong_width = _("This row has %(count)s values but the header has %(width)s columns.")
        self.unreadable = _("This row has characters that cannot be read in the file's encoding.")

    def error_row(self, line: int, errors) -> tuple:
        return (line, json.dumps(errors, ensure_ascii=False), *self.padding)

    def stage(self, line: int, cells: list[str], damaged: bool):
        """(staged row, errors): the row's COPY values, or None and its list of errors. The key
        check (a customer ID repeated from an earlier line) is check_key's, in line order."""
        width = self.width
        if damaged:
            return None, [["", _preview(cells), self.unreadable]]
        if len(cells) != width and (len(cells) < width or any(c.strip() for c in cells[width:])):
            return None, [["", _preview(cells), self.wrong_width % {"count": len(cells), "width": width}]]
        out = [line, None]
        errors = None
        for index, convert, header in self.specs:
            raw = cells[index]
            if raw:
                raw = raw.strip(WHITESPACE)
            if not raw:
                out.append(None)
                continue
            try:
                out.append(convert(raw))
            except Invalid as error:
                errors = errors or []
                errors.append((header, raw, str(error)))
                out.append(_FAILED)  # filled in, so not also "empty"; never copied
        for index, fixed_kind in self.phone_specs:
            raw = cells[index].strip(WHITESPACE)
            if raw:
                number, valid, kind = self.normalize_phone(raw)
                # Text without a digit ("なし", "-") is no number at all: nothing to store or
                # match (a shared "なし" would tie unrelated customers together in DNC checks).
                out += (raw[:64], number[:32] or None, "t" if valid else "f", fixed_kind or kind)
            else:
                out += (None, None, None, None)
        for checked, header, message in self.required_checks:
            for position in checked:
                if out[position] is not None:
                    break
            else:
                errors = errors or []
                errors.append((header, "", message))
        return (None, errors) if errors else (out, None)

    def check_key(self, line: int, out) -> list | None:
        """The error of a valid row whose key appeared on an earlier valid line, else None (and
        the line is remembered). Called for the valid rows in line order."""
        if self.key_position is None:
            return None
        key = out[self.key_position]
        first = self.first_lines.setdefault(key, line)
        return self.key_error(key, first) if first != line else None

    def key_error(self, key: str, first: int) -> list:
        return [(self.unique.header, key, self.unique.message.format(line=first))]


def staged_chunks(
    *,
    columns: list[StagedColumn],
    phones: list[StagedPhone],
    required: list[RequiredCells],
    unique: UniqueKey | None,
    width: int,
    rows,
    normalize_phone,
    phone_region: str | None = None,
):
    """Yield (COPY data of one chunk as a list of CSV batches, rows read so far) for `rows`.
    Pure Python and polars: no database access, so it can run in a thread of its own. A chunk of
    COLUMNAR_MIN_ROWS rows or more is checked and converted column by column (columnar.py); a
    smaller one row by row (a data frame costs more than it saves on a few rows)."""
    from . import columnar

    chunk_rows = min(FIRST_CHUNK_ROWS, CHUNK_ROWS)  # read at call time (tests make chunks small)
    stager = RowStager(
        columns=columns, phones=phones, required=required, unique=unique, width=width, normalize_phone=normalize_phone
    )
    vectorized = None
    total = 0
    chunk: list = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == chunk_rows:
            total += len(chunk)
            if vectorized is None and len(chunk) >= COLUMNAR_MIN_ROWS:
                vectorized = columnar.ColumnarStager(stager, phone_region=phone_region)
            yield _stage_chunk(stager, vectorized, chunk), total
            chunk, chunk_rows = [], CHUNK_ROWS
    if chunk or not total:
        total += len(chunk)
        if vectorized is None and len(chunk) >= COLUMNAR_MIN_ROWS:
            vectorized = columnar.ColumnarStager(stager, phone_region=phone_region)
        yield _stage_chunk(stager, vectorized, chunk), total


def _stage_chunk(stager: RowStager, vectorized, chunk: list) -> list[bytes]:
    if vectorized is not None and len(chunk) >= COLUMNAR_MIN_ROWS:
        return vectorized.stage(chunk)
    return stage_rows(stager, chunk)


def stage_rows(stager: RowStager, rows) -> list[bytes]:
    """The COPY data of `rows`, row by row, in batches of BATCH_ROWS."""
    batches: list[bytes] = []
    buffer = io.StringIO()
    write = csv.writer(buffer, lineterminator="\n").writerow
    in_batch = 0
    for line, cells, damaged in rows:
        out, errors = stager.stage(line, cells, damaged)
        if out is not None:
            errors = stager.check_key(line, out)
        write(out if errors is None else stager.error_row(line, errors))
        in_batch += 1
        if in_batch == BATCH_ROWS:
            batches.append(buffer.getvalue().encode())
            buffer.seek(0)
            buffer.truncate()
            in_batch = 0
    if in_batch:
        batches.append(buffer.getvalue().encode())
    return batches


_FAILED = object()


def _preview(cells: list[str]) -> str:
    return ",".join(cells).replace("\x00", "")[:200]
