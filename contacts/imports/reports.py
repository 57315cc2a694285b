"""The error report of an import as CSV: UTF-8 with BOM (Excel in Japan opens it correctly),
one line per failed cell or row, safe against spreadsheet formula injection."""

import csv
import io

from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _

from callcenter.audit import record_event
from callcenter.csv_files import BOM, neutralize


def error_report_filename(job) -> str:
    return f"import-{job.pk}-errors.csv"


def error_report_rows(job):
    """Yield the CSV text in chunks (streamed: a bad file can have a million error lines)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([_("Line"), _("Column"), _("Value"), _("Error")])
    yield BOM + flush()
    errors = job.row_errors.order_by("line", "id").values_list("line", "column", "value", "message")
    for count, (line, column, value, message) in enumerate(errors.iterator(chunk_size=2000), 1):
        writer.writerow([line, neutralize(column), neutralize(value), neutralize(message)])
        if count % 2000 == 0:
            yield flush()
    rest = flush()
    if rest:
        yield rest


def error_report_response(job, *, by) -> StreamingHttpResponse:
    """The report as a streamed download (the page and the API serve the same file). It carries
    the rows' raw values (names, numbers), so each download is audited."""
    record_event(actor=by, action="import.errors_downloaded", target=job, summary=job.original_name)
    response = StreamingHttpResponse(error_report_rows(job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{error_report_filename(job)}"'
    return response
