"""CSV files that people open in Excel: UTF-8 with a BOM (so Excel in Japan reads the Japanese
correctly) and cells that a spreadsheet would run as a formula made plain text (OWASP "CSV
injection"). Every CSV download of the product writes its cells through `neutralize`."""

import csv

BOM = "\ufeff"
# A cell starting with one of these is run as a formula by Excel / LibreOffice / Sheets; a leading
# apostrophe makes it plain text. The full-width forms count too: Excel folds them.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralize(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value):
        return value


def line_writer():
    """A csv writer whose writerow returns the line (CRLF, as Excel writes), for streaming."""
    return csv.writer(_Echo(), lineterminator="\r\n")


def safe_row(values) -> list[str]:
    return [neutralize(value) for value in values]
