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

CHUNK_ROWS = 50_000  # rows per chunk: applied while the next is being read
BATCH_ROWS = 2_000
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


def staged_chunks(
    *,
    columns: list[StagedColumn],
    phones: list[StagedPhone],
    required: list[RequiredCells],
    unique: UniqueKey | None,
    width: int,
    rows,
    normalize_phone,
):
    """Yield (COPY data of one chunk as a list of CSV batches, rows read so far) for `rows`.
    Pure Python: no database access, so it can run in a thread of its own."""
    chunk_rows = CHUNK_ROWS  # read at call time (tests make chunks small)
    specs = [(c.index, c.convert, c.header) for c in columns]
    phone_specs = [(p.index, p.kind) for p in phones]
    positions = {c.name: 2 + i for i, c in enumerate(columns)}
    for i, p in enumerate(phones):
        positions[p.name] = 2 + len(columns) + 4 * i + 1  # the normalized number
    required_checks = [([positions[n] for n in r.names], r.header, r.message) for r in required]
    key_position = positions[unique.name] if unique else None
    first_lines: dict[str, int] = {}
    padding = (None,) * (len(columns) + 4 * len(phones))
    wrong_width = _("This row has %(count)s values but the header has %(width)s columns.")
    unreadable = _("This row has characters that cannot be read in the file's encoding.")
    dumps = json.dumps
    total = 0
    batches: list[bytes] = []
    buffer = io.StringIO()
    write = csv.writer(buffer, lineterminator="\n").writerow
    in_batch = 0
    for line, cells, damaged in rows:
        total += 1
        in_batch += 1
        if damaged:
            write((line, dumps([["", _preview(cells), unreadable]], ensure_ascii=False), *padding))
        elif len(cells) != width and (len(cells) < width or any(c.strip() for c in cells[width:])):
            message = wrong_width % {"count": len(cells), "width": width}
            write((line, dumps([["", _preview(cells), message]], ensure_ascii=False), *padding))
        else:
            out = [line, None]
            errors = None
            for index, convert, header in specs:
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
            for index, fixed_kind in phone_specs:
                raw = cells[index].strip(WHITESPACE)
                if raw:
                    number, valid, kind = normalize_phone(raw)
                    # Text without a digit ("なし", "-") is no number at all: nothing to store or
                    # match (a shared "なし" would tie unrelated customers together in DNC checks).
                    out += (raw[:64], number[:32] or None, "t" if valid else "f", fixed_kind or kind)
                else:
                    out += (None, None, None, None)
            for checked, header, message in required_checks:
                for position in checked:
                    if out[position] is not None:
                        break
                else:
                    errors = errors or []
                    errors.append((header, "", message))
            if errors is None and key_position is not None:
                first = first_lines.setdefault(out[key_position], line)
                if first != line:
                    errors = [(unique.header, out[key_position], unique.message.format(line=first))]
            if errors:
                write((line, dumps(errors, ensure_ascii=False), *padding))
            else:
                write(out)
        if in_batch == BATCH_ROWS:
            batches.append(buffer.getvalue().encode())
            buffer.seek(0)
            buffer.truncate()
            in_batch = 0
            if len(batches) * BATCH_ROWS >= chunk_rows:
                yield batches, total
                batches = []
    if in_batch:
        batches.append(buffer.getvalue().encode())
    if batches or not total:
        yield batches, total


_FAILED = object()


def _preview(cells: list[str]) -> str:
    return ",".join(cells).replace("\x00", "")[:200]
