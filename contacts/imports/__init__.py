"""Imports of customers and do-not-call lists from CSV/XLSX files.

reading.py     encodings, delimiter, header, rows; refuses bad files (ImportFileError)
fields.py      what a column can become; Japanese and English header names; mapping checks
converters.py  cell text → typed value (dates incl. 和暦, numbers, codes, …)
staging.py     the streaming pass: checks + conversions (phones: contacts.phones.normalize_phone_kind) → COPY data in
    chunks
columnar.py    the same pass a column at a time (polars) for large chunks; undecided cells and bad rows go
    through staging.py's row-by-row checks
loaders.py     set-based SQL per chunk: error report, customer upsert, phones, DNC entries
pipeline.py    reader thread + one transaction that COPYs and applies each chunk
reports.py     the error report as CSV

The business actions (receive an upload, start and run an import) are in
contacts.services.imports."""
