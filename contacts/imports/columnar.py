"""Staging a chunk column by column with polars: the staged data of RowStager, at a fraction of the cost.

Checking and converting a million-row file one cell at a time in Python took most of an import's
time (about 25 of 48 s for the benchmark file, with PostgreSQL waiting for it). Here each column
of a chunk is handled at once:

1. a fast path decides the common spellings with vectorized string operations; each of its
   patterns only accepts texts that the row-by-row converter turns into exactly the value the
   fast path gives (a subset, chosen by reading the converter: 2024/4/1 → 2024-04-01, 090-1234-5678
   through the same phonenumbers metadata as contacts.phones);
2. every other non-empty cell is converted by the row-by-row converter itself, once per distinct
   text of the chunk (coded values, 和暦, full-width digits, numbers phonenumbers must parse);
3. a row with anything a converter refuses, a required cell missing, a wrong number of values or
   unreadable bytes goes through RowStager whole, so its errors are exactly the reference ones;
   customer IDs repeated from an earlier line are then found in line order, as row by row.

contacts/tests/test_import_columnar.py stages varied files both ways and compares the result."""

import csv
import io
import logging

import polars as pl

from ..phones import national_rule_table
from .converters import Invalid
from .staging import WHITESPACE

logger = logging.getLogger(__name__)

_REFUSED = "\x00"  # a converter refused the text (a real cell never holds NUL: such rows are "damaged")

_DATE = r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})"
_CLOCK = r"(?: ([01][0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9]))?)?"
_EMAIL = r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+$"
# Characters NFKC leaves as they are: printable ASCII, hiragana, katakana (without the half-width
# forms, ヷ-ヺ and the iteration marks), the prolonged sound mark and the unified kanji.
_NFKC_STABLE = r"^[ -~ぁ-ゖァ-ヶー一-鿿]*$"


def _dates(text: pl.Series, pattern: str) -> pl.DataFrame:
    """Columns "1".."n" of `pattern`'s groups, plus "date": YYYY-MM-DD for a real date from 1800 to
    2200 in groups 1-3 (null otherwise)."""
    parts = text.str.extract_groups(pattern).struct.unnest()
    padded = pl.concat_str([pl.col("1"), pl.lit("-"), pl.col("2").str.zfill(2), pl.lit("-"), pl.col("3").str.zfill(2)])
    real = padded.str.to_date("%Y-%m-%d", strict=False).is_not_null() & pl.col("1").cast(pl.Int32).is_between(
        1800, 2200
    )
    return parts.with_columns(pl.when(real).then(padded).alias("date"))


def _fast_value(kind: str, max_length: int | None, text: pl.Series) -> pl.Series | None:
    """The converter's value for the texts the fast path decides (null for the others), or None
    when the kind has no fast path (every distinct text goes to the converter)."""
    if kind == "keep" or (kind == "text" and not max_length):
        return text
    if kind == "date":
        return _dates(text, f"^{_DATE}$")["date"]
    if kind == "datetime":
        parts = _dates(text, f"^{_DATE}{_CLOCK}$")
        clock = [pl.col(str(n)).fill_null("00") for n in (4, 5, 6)]
        return parts.select(
            pl.concat_str([pl.col("date"), pl.lit(" "), clock[0], pl.lit(":"), clock[1], pl.lit(":"), clock[2]])
        ).to_series()
    t = pl.col("t")
    expression = {
        "text": pl.when(t.str.len_chars() <= (max_length or 0)).then(t),
        "kana": pl.when(t.str.contains(_NFKC_STABLE) & (t.str.len_chars() <= (max_length or 200))).then(t),
        "integer": pl.when(t.str.contains(r"^[0-9]{1,9}$")).then(t.cast(pl.Int64, strict=False).cast(pl.String)),
        "money": pl.when(t.str.contains(r"^[0-9]{1,13}$")).then(t),
        "postal_code": pl.when(t.str.contains(r"^[0-9]{3}-[0-9]{4}$")).then(t),
        "email": pl.when(t.str.contains(_EMAIL) & (t.str.len_chars() <= 254)).then(t),
    }.get(kind)
    if expression is None:
        return None
    return pl.DataFrame({"t": text}).select(expression).to_series()


class PhoneColumns:
    """The fast path of contacts.phones.normalize_phone_kind for a column: a number written
    nationally (trunk prefix 0) with ASCII digits and only dashes, spaces, brackets or dots that
    phonenumbers' metadata finds valid gets +<country code><national number> and its kind, as
    normalize_phone_kind's own fast path gives. Anything else (full-width digits, +81, numbers
    that are not valid: 070-0…, too short) is left undecided for normalize_phone_kind."""

    def __init__(self, region: str | None):
        self.rules = None
        table = national_rule_table(region.upper()) if region else None
        if table is None:
            return
        self.rules = table
        try:  # every metadata pattern must also be a valid pattern for polars' regex engine
            self.decide(pl.Series(["090-1234-5678"], dtype=pl.String))
        except pl.exceptions.PolarsError:
            logger.warning("Phone patterns of %s do not compile for polars: numbers normalized one by one", region)
            self.rules = None

    def decide(self, text: pl.Series) -> tuple[pl.Series, pl.Series] | None:
        """(number, kind) for the numbers decided, null for the others; None without a fast path."""
        if self.rules is None:
            return None
        country_code, (_kind, general_lengths, general_pattern), rules = self.rules
        digits = text.str.replace_all(r"[() .\-]", "")
        frame = pl.DataFrame({"text": text, "digits": digits, "national": digits.str.slice(1)})
        size = pl.col("national").str.len_bytes()

        def matches(lengths, pattern):
            condition = pl.col("national").str.contains(f"^(?:{pattern})$")
            return condition & size.is_in(sorted(lengths)) if lengths else condition

        shaped = (
            pl.col("text").str.contains(r"^[ (]*0[0-9() .\-]*$")
            & ~pl.col("digits").str.starts_with("00")
            & matches(general_lengths, general_pattern)
        )
        # Each test once, side by side; then the first rule that matches, in phonenumbers' order.
        tests = frame.select(
            shaped.alias("shaped"),
            *(matches(lengths, pattern).alias(f"r{n}") for n, (_k, lengths, pattern) in enumerate(rules)),
        )
        kind = pl.lit(None, dtype=pl.String)
        for n, (rule_kind, _lengths, _pattern) in reversed(list(enumerate(rules))):
            kind = pl.when(pl.col(f"r{n}")).then(pl.lit(rule_kind)).otherwise(kind)
        kind = tests.select(pl.when(pl.col("shaped")).then(kind)).to_series()
        number = frame.select(
            pl.when(kind.is_not_null()).then(pl.lit(f"+{country_code}") + pl.col("national"))
        ).to_series()
        return number, kind


class ColumnarStager:
    """Stages whole chunks for a RowStager (same columns, checks and key memory)."""

    def __init__(self, stager, *, phone_region: str | None):
        self.stager = stager
        self.phone_fast = PhoneColumns(phone_region)
        self.indexes = sorted({c.index for c in stager.columns} | {p.index for p in stager.phones})

    def stage(self, chunk: list) -> list[bytes]:
        stager = self.stager
        width = stager.width
        simple = [row for row in chunk if not row[2] and len(row[1]) == width]
        odd = [row for row in chunk if row[2] or len(row[1]) != width] if len(simple) < len(chunk) else []
        if simple:
            frame, fallback = self._convert(simple)
            rows = [simple[i] for i in fallback.arg_true().to_list()]
            clean = frame.filter(~fallback)
        else:
            rows, clean = [], None
        if odd:
            rows = sorted(rows + odd, key=lambda row: row[0])
        return self._write(clean, rows)

    # ---------------------------------------------------------------- conversions

    def _convert(self, rows: list) -> tuple[pl.DataFrame, pl.Series]:
        """(staged values of every row, rows that need RowStager)."""
        stager = self.stager
        cells = list(zip(*(row[1] for row in rows)))
        raw = pl.DataFrame(
            {f"c{index}": pl.Series(cells[index], dtype=pl.String) for index in self.indexes}, nan_to_null=False
        )
        del cells
        stripped = raw.select(
            pl.when(pl.col(name).str.strip_chars(WHITESPACE).str.len_bytes() > 0)
            .then(pl.col(name).str.strip_chars(WHITESPACE))
            .alias(name)
            for name in raw.columns
        )
        decided = {}
        for column in stager.columns:
            value = _fast_value(column.kind, column.max_length, stripped[f"c{column.index}"])
            if value is not None:
                decided[column.name] = value
        for phone in stager.phones:
            answer = self.phone_fast.decide(stripped[f"c{phone.index}"])
            if answer is not None:
                decided[f"{phone.name}_number"], decided[f"{phone.name}_kind"] = answer

        values: dict[str, pl.Series] = {"line": pl.Series([row[0] for row in rows], dtype=pl.Int64)}
        values["errors"] = pl.Series([None] * len(rows), dtype=pl.String)
        refused = pl.Series([False] * len(rows))
        for column in stager.columns:
            text = stripped[f"c{column.index}"]
            value = decided.get(column.name)
            value = self._rest_by_text(text, value, column.convert)
            refused = refused | (value == _REFUSED).fill_null(False)
            values[column.name] = value
        for phone in stager.phones:
            text = stripped[f"c{phone.index}"]
            number, valid, kind = self._phone_values(phone, text, decided)
            values[phone.name] = text.str.slice(0, 64)
            values[f"{phone.name}_number"] = number
            values[f"{phone.name}_valid"] = valid
            if phone.kind:  # the column's own kind ("mobile", …) for every number in it
                kind = pl.select(pl.when(text.is_not_null()).then(pl.lit(phone.kind))).to_series()
            values[f"{phone.name}_kind"] = kind
        frame = pl.DataFrame(values)
        # Required cells: a row fails when all of them are empty; a refused value counts as filled
        # (RowStager reports the refusal, not also the emptiness).
        missing = pl.Series([False] * len(rows))
        for names, _header, _message in self._required():
            present = pl.Series([False] * len(rows))
            for name in names:
                present = present | frame[name].is_not_null()
            missing = missing | ~present
        fallback = refused | missing
        # A value converted to "" is written as an empty field (NULL), as the row-by-row csv.writer does.
        frame = frame.with_columns(
            pl.when(pl.col(name) != "").then(pl.col(name)).alias(name) for name in frame.columns[2:]
        )
        return frame, fallback

    def _required(self):
        stager = self.stager
        names_at = {2 + i: c.name for i, c in enumerate(stager.columns)}
        for i, p in enumerate(stager.phones):
            names_at[2 + len(stager.columns) + 4 * i + 1] = f"{p.name}_number"
        return [
            ([names_at[p] for p in positions], header, message) for positions, header, message in stager.required_checks
        ]

    @staticmethod
    def _rest_by_text(text: pl.Series, value: pl.Series | None, convert) -> pl.Series:
        """`value` completed by `convert` once per distinct text it left undecided (_REFUSED where
        the converter refused it)."""
        undecided = text if value is None else text.filter(value.is_null() & text.is_not_null())
        texts = undecided.drop_nulls().unique().to_list()
        if not texts:
            return value if value is not None else text
        results = []
        for each in texts:
            try:
                results.append(convert(each))
            except Invalid:
                results.append(_REFUSED)
        rest = text.replace_strict(texts, results, default=None, return_dtype=pl.String)
        return rest if value is None else value.fill_null(rest)

    def _phone_values(self, phone, text: pl.Series, decided: dict):
        """(number or null, "t"/"f", kind) of a phone column."""
        normalize = self.stager.normalize_phone
        name = f"{phone.name}_number"
        number = decided.get(name)
        kind = decided.get(f"{phone.name}_kind")
        undecided = text if number is None else text.filter(number.is_null() & text.is_not_null())
        texts = undecided.drop_nulls().unique().to_list()
        valid = pl.Series(["t"] * len(text), dtype=pl.String) if number is not None else None
        if texts:
            answers = [normalize(each) for each in texts]
            # Text without a digit ("なし", "-") is no number at all: nothing is stored for it.
            rest_number = text.replace_strict(
                texts, [a[0][:32] or None for a in answers], default=None, return_dtype=pl.String
            )
            rest_valid = text.replace_strict(
                texts, ["t" if a[1] else "f" for a in answers], default=None, return_dtype=pl.String
            )
            rest_kind = text.replace_strict(texts, [a[2] for a in answers], default=None, return_dtype=pl.String)
            if number is None:
                number, valid, kind = rest_number, rest_valid, rest_kind
            else:
                decided_here = number.is_not_null()
                number = number.fill_null(rest_number)
                valid = pl.select(pl.when(decided_here).then(valid).otherwise(rest_valid)).to_series()
                kind = kind.fill_null(rest_kind)
        elif number is None:
            number = valid = kind = pl.Series([None] * len(text), dtype=pl.String)
        # Empty cells: no number, validity or kind.
        valid = pl.select(pl.when(text.is_not_null()).then(valid)).to_series()
        return number, valid, kind

    # ---------------------------------------------------------------- output

    def _write(self, clean: pl.DataFrame | None, rows: list) -> list[bytes]:
        """COPY data: the clean rows as one CSV block, the others as RowStager stages them; customer
        IDs repeated from an earlier valid line fail in line order, across both."""
        stager = self.stager
        staged = [(row[0], *stager.stage(*row)) for row in rows]
        extra = []
        if clean is not None and stager.key_position is not None and clean.height:
            key = stager.columns[stager.key_position - 2].name
            first_lines = stager.first_lines
            repeated = []
            pending = iter(staged)
            following = next(pending, None)
            for position, (line, value) in enumerate(zip(clean["line"].to_list(), clean[key].to_list())):
                while following is not None and following[0] < line:
                    extra.append(self._finish_row(*following))
                    following = next(pending, None)
                first = first_lines.setdefault(value, line)
                if first != line:
                    repeated.append(position)
                    extra.append(stager.error_row(line, stager.key_error(value, first)))
            while following is not None:
                extra.append(self._finish_row(*following))
                following = next(pending, None)
            if repeated:
                keep = pl.Series([True] * clean.height)
                keep = keep.scatter(repeated, False)
                clean = clean.filter(keep)
        else:
            extra = [self._finish_row(*each) for each in staged]
        batches = []
        if clean is not None and clean.height:
            buffer = io.BytesIO()
            clean.write_csv(buffer, include_header=False)
            batches.append(buffer.getvalue())
        if extra:
            text = io.StringIO()
            csv.writer(text, lineterminator="\n").writerows(extra)
            batches.append(text.getvalue().encode())
        return batches

    def _finish_row(self, line, out, errors):
        stager = self.stager
        if out is not None:
            errors = stager.check_key(line, out)
        return out if errors is None else stager.error_row(line, errors)
