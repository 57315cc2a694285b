"""An erased customer's rows leave the uploaded files still kept of past imports (kept for
UPLOAD_RETENTION_DAYS after their run, contacts.services.imports.delete_expired_uploads).

Runs after the erasure committed (a Celery task on the imports queue: a file is rewritten only
once the erasure can no longer roll back), and needs no personal data: the customer's ID and
numbers are keyed hashes by then, so a row is the customer's when the hash of its customer ID
(customer imports, whose rows are keyed by it) or of one of its numbers (do-not-call imports) is
the customer's. A do-not-call row on a number another customer still has stays: it is about the
number, which the household keeps (as the registry's plain entry does).

A CSV is rewritten through the storage API without those rows: every other line is kept byte for
byte (the file's encoding, CP932 or UTF-16 included, its line ends and quoting untouched), as
the lines are cut from the original bytes. A workbook (.xlsx), or a CSV whose lines cannot be
cut exactly (bytes invalid in its encoding), that holds such a row is deleted instead, as its
retention would later: the job keeps its summary and error report either way. One
`uploads.erased` event about the customer says which jobs' files were rewritten or deleted and how
many rows left them."""

import csv
import io

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from callcenter.audit import record_event

from ..imports.reading import read_rows
from ..locks import lock_kept_uploads
from ..models import Customer, DoNotCall, ImportJob, PhoneNumber
from ..phones import normalize_phone
from .erasure import HASH_PREFIX, number_hash
from .imports import _inspection_of

PHONE_TARGETS = frozenset({"phone", "mobile_phone", "home_phone", "work_phone"})


def erase_from_kept_uploads(*, customer_id: int) -> dict:
    """Remove the erased customer's rows from every kept file of a finished import (see the module
    docstring). Returns {"rewritten": [job ids], "deleted": [job ids], "rows": rows removed}."""
    customer = Customer.objects.get(pk=customer_id)
    if customer.erased_at is None:
        return {"rewritten": [], "deleted": [], "rows": 0}
    hashes = set(customer.phones.filter(number__startswith=HASH_PREFIX).values_list("number", flat=True))
    hashes |= set(
        DoNotCall.objects.filter(customer=customer, phone_number__startswith=HASH_PREFIX).values_list(
            "phone_number", flat=True
        )
    )
    person = _Person(external_id=customer.external_id, number_hashes=hashes)
    done = {"rewritten": [], "deleted": [], "rows": 0}
    with transaction.atomic():
        lock_kept_uploads()
        jobs = (
            ImportJob.objects.filter(status__in=[ImportJob.Status.DONE, ImportJob.Status.FAILED])
            .exclude(file="")
            .order_by("pk")
        )
        for job in jobs:
            name = job.file.name
            if not default_storage.exists(name):
                continue
            with default_storage.open(name, "rb") as stored:
                original = stored.read()
            lines = _rows_of_person(job, original, person)
            if not lines:
                continue
            rewritten = _without_lines(original, job, lines)
            default_storage.delete(name)
            if rewritten is None:
                ImportJob.objects.filter(pk=job.pk).update(file="")
                done["deleted"].append(job.pk)
            else:
                saved = default_storage.save(name, ContentFile(rewritten))
                if saved != name:
                    ImportJob.objects.filter(pk=job.pk).update(file=saved)
                done["rewritten"].append(job.pk)
            done["rows"] += len(lines)
        if done["rewritten"] or done["deleted"]:
            record_event(
                actor=None,
                action="uploads.erased",
                target=customer,
                summary=f"#{customer.pk}: {done['rows']}",
                jobs_rewritten=done["rewritten"],
                jobs_deleted=done["deleted"],
                rows=done["rows"],
            )
    return done


class _Person:
    """What stands for the erased customer: the hash of their customer ID, the hashes of their
    numbers."""

    def __init__(self, *, external_id: str, number_hashes: set[str]):
        self.external_id = external_id
        self.number_hashes = number_hashes

    def has_id(self, cell: str) -> bool:
        cell = cell.strip()
        return bool(cell) and number_hash(f"external-id:{cell}") == self.external_id

    def has_number(self, cell: str) -> str:
        """The plain number when the cell holds one of the person's numbers, else ""."""
        number, _valid = normalize_phone(cell, settings.PHONE_DEFAULT_REGION)
        return number if number and number_hash(number) in self.number_hashes else ""


def _rows_of_person(job: ImportJob, original: bytes, person: _Person) -> set[int]:
    """The first lines of the data rows of the job's file that are the person's."""
    source = job.mapping.get("source", {})
    targets = job.mapping.get("columns", {})
    headers = source.get("headers", [])
    id_columns = [i for i, header in enumerate(headers) if targets.get(header) == "external_id"]
    phone_columns = [i for i, header in enumerate(headers) if targets.get(header) in PHONE_TARGETS]
    found, numbers = set(), {}
    for line, cells, _unreadable in read_rows(io.BytesIO(original), _inspection_of(job)):
        if any(i < len(cells) and person.has_id(cells[i]) for i in id_columns):
            found.add(line)
        elif job.kind == ImportJob.Kind.DNC:
            for i in phone_columns:
                number = person.has_number(cells[i]) if i < len(cells) else ""
                if number:
                    numbers.setdefault(number, set()).add(line)
    if numbers:
        # A number another customer still has stays on the list: it is the household's.
        shared = set(PhoneNumber.objects.filter(number__in=list(numbers)).values_list("number", flat=True))
        for number, lines in numbers.items():
            if number not in shared:
                found |= lines
    return found


def _without_lines(original: bytes, job: ImportJob, rows: set[int]) -> bytes | None:
    """The file's bytes without the records starting at `rows` (each record's physical lines, cut
    from the original bytes), or None when that cannot be done exactly: a workbook, or a CSV whose
    text does not encode back to its bytes line for line."""
    if job.mapping.get("source", {}).get("format", "csv") != "csv":
        return None
    encoding = job.encoding or "utf-8"
    try:
        text = original.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None
    physical = io.StringIO(text, newline="").readlines()
    line_codec, offset = _line_codec(encoding, original)
    pieces, position = [], offset
    for piece in physical:
        size = len(piece.encode(line_codec))
        pieces.append(original[position : position + size])
        position += size
    if position != len(original) or original[:offset] + b"".join(pieces) != original:
        return None
    # Which physical lines each record spans, as the import read them (csv.reader over the text).
    reader = csv.reader(iter(physical), delimiter=job.mapping.get("source", {}).get("delimiter", ","))
    dropped, last = set(), 0
    for _cells in reader:
        first, last = last + 1, reader.line_num
        if first in rows:
            dropped.update(range(first, last + 1))
    return original[:offset] + b"".join(piece for number, piece in enumerate(pieces, 1) if number not in dropped)


def _line_codec(encoding: str, original: bytes) -> tuple[str, int]:
    """The codec that encodes one line of the decoded text back to its bytes, and the length of
    the byte-order mark the decoding consumed (it precedes the first line)."""
    if encoding == "utf-16":
        if original.startswith(b"\xff\xfe"):
            return "utf-16-le", 2
        if original.startswith(b"\xfe\xff"):
            return "utf-16-be", 2
        return "utf-16-le", 0
    if encoding == "utf-8-sig":
        return "utf-8", 3 if original.startswith(b"\xef\xbb\xbf") else 0
    return encoding, 0
