"""Import pages: upload + list, the column-mapping step, the job page with its progress bar
(htmx polling), and the error report as CSV. Supervisors only (MANAGE_LISTS)."""

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods

from callcenter import roles
from callcenter.uploads import megabytes

from ..forms_imports import MappingForm, UploadForm
from ..imports.fields import suggest_mapping
from ..imports.reports import error_report_response
from ..models import ImportJob
from ..services import imports

UPLOAD_TOKEN_SALT = "contacts.imports.upload"
UPLOAD_TOKEN_MAX_AGE = 24 * 3600


@roles.permission_required(roles.MANAGE_LISTS)
@require_http_methods(["GET", "POST"])
def import_list(request):
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                upload = imports.receive_upload(
                    uploaded_file=form.cleaned_data["file"],
                    kind=form.cleaned_data["kind"],
                    encoding=form.cleaned_data["encoding"],
                )
            except imports.ImportFileError as error:
                form.add_error("file", error.message)
            else:
                _remember_upload(request, upload)
                return redirect("contacts:import_mapping", token=_upload_token(request, upload))
    else:
        kind = request.GET.get("kind")
        form = UploadForm(initial={"kind": kind} if kind in imports.KINDS else None)
    jobs = ImportJob.objects.select_related("created_by")
    page = Paginator(jobs, 25).get_page(request.GET.get("page"))
    max_megabytes = megabytes(settings.IMPORT_MAX_BYTES)
    return render(
        request, "contacts/imports/import_list.html", {"form": form, "page": page, "max_megabytes": max_megabytes}
    )


@roles.permission_required(roles.MANAGE_LISTS)
@require_http_methods(["GET", "POST"])
def import_mapping(request, token):
    stored, refusal = _read_upload_token(request, token)
    if stored is None:
        messages.error(request, refusal)
        return redirect("contacts:import_list")
    if request.method == "POST" and "discard" in request.POST:
        imports.discard_upload(path=stored["path"])
        _forget_upload(request, stored["path"])
        messages.info(request, _("The upload was discarded; nothing was imported."))
        return redirect("contacts:import_list")
    encoding = (request.POST if request.method == "POST" else request.GET).get("encoding", stored["encoding"])
    try:
        upload = _checked_upload(request, stored, encoding)
    except imports.ImportFileError as error:
        if encoding == stored["encoding"]:
            messages.error(request, error.message)
            return redirect("contacts:import_list")
        # The chosen encoding does not fit this file: say so and show it as detected.
        messages.error(request, error.message)
        upload = _checked_upload(request, stored, stored["encoding"])
        encoding = stored["encoding"]
    headers = upload.inspection.headers
    initial_mapping = suggest_mapping(headers, upload.kind)
    if upload.kind == ImportJob.Kind.DNC and not upload.inspection.has_header:
        initial_mapping[headers[0]] = "phone"
    confirming = request.method == "POST" and "start" in request.POST
    form = MappingForm(
        request.POST if confirming else None,
        headers=headers,
        kind=upload.kind,
        initial_mapping=initial_mapping,
        initial={"encoding": encoding},
    )
    if confirming and form.is_valid():
        try:
            job = imports.start_import(
                upload=upload,
                mapping=form.cleaned_data["mapping"],
                by=request.user,
                reason=form.cleaned_data.get("reason", ""),
                campaign_id=getattr(form.cleaned_data.get("campaign"), "pk", None),
                note=form.cleaned_data.get("note", ""),
            )
        except ValidationError as error:
            for messages_list in error.message_dict.values():
                for message in messages_list:
                    form.add_error(None, message)
        else:
            _forget_upload(request, upload.path)
            return redirect("contacts:import_detail", pk=job.pk)
    samples = _samples(upload.inspection)
    columns = [(index, header, field, samples[index]) for index, header, field in form.bound_columns()]
    return render(
        request,
        "contacts/imports/import_mapping.html",
        {
            "form": form,
            "upload": upload,
            "inspection": upload.inspection,
            "columns": columns,
            "token": token,
        },
    )


@roles.permission_required(roles.MANAGE_LISTS)
def import_detail(request, pk):
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=pk)
    errors = Paginator(job.row_errors.all(), 50).get_page(request.GET.get("page"))
    summary = [
        ("rows", _("Rows"), job.total_rows, ""),
        ("created", _("Created"), job.created_count, "success"),
        ("updated", pgettext("import count", "Updated"), job.updated_count, "primary"),
        ("unchanged", _("Unchanged"), job.unchanged_count, ""),
        ("failed", _("Failed"), job.failed_count, "danger" if job.failed_count else ""),
    ]
    duration = None
    if job.started_at and job.finished_at:
        duration = round((job.finished_at - job.started_at).total_seconds(), 1)
    return render(
        request,
        "contacts/imports/import_detail.html",
        {
            "job": job,
            "page": errors,
            "summary": summary,
            "duration": duration,
            "customers_url": reverse("contacts:customer_list"),
            "progress": progress_of(job),
        },
    )


@roles.permission_required(roles.MANAGE_LISTS)
def import_progress(request, pk):
    """The progress card, polled by htmx while the job runs. When it has finished, the whole page
    is reloaded to show the summary and the error list."""
    job = get_object_or_404(ImportJob, pk=pk)
    if request.headers.get("HX-Request") and job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "contacts/imports/_progress.html", {"job": job, "progress": progress_of(job)})


@roles.permission_required(roles.MANAGE_LISTS)
def import_errors_csv(request, pk):
    job = get_object_or_404(ImportJob, pk=pk)
    return error_report_response(job, by=request.user)


# ---------------------------------------------------------------- helpers


def progress_of(job) -> dict:
    """Bar position: reading the file fills 90% (rows read / rows in the file); the last 10% is
    the saving step, whose progress is not measured."""
    if job.status == ImportJob.Status.QUEUED:
        return {"percent": 0, "reading": False}
    if job.status != ImportJob.Status.RUNNING:
        return {"percent": 100, "reading": False}
    if job.total_rows and job.processed_rows < job.total_rows:
        return {"percent": int(90 * job.processed_rows / job.total_rows), "reading": True}
    return {"percent": 95, "reading": job.processed_rows == 0}


def _upload_token(request, upload) -> str:
    return signing.dumps(
        {
            "path": upload.path,
            "name": upload.original_name,
            "kind": upload.kind,
            "encoding": upload.encoding,
            "user": request.user.pk,
        },
        salt=UPLOAD_TOKEN_SALT,
        compress=True,
    )


def _read_upload_token(request, token) -> tuple[dict | None, str]:
    """(what the token says, "") or (None, why it is refused)."""
    try:
        stored = signing.loads(token, salt=UPLOAD_TOKEN_SALT, max_age=UPLOAD_TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        return None, _("This upload has expired; upload the file again.")
    except signing.BadSignature:
        return None, _("This upload link is not valid (it was changed or cut short); upload the file again.")
    if stored.get("user") != request.user.pk:
        return None, _("This upload belongs to another user; upload the file again.")
    return stored, ""


# The mapping step's requests reuse the inspection of the upload (kept in the session, by file)
# instead of reading the file again: up to IMPORT_MAX_BYTES for the encoding detection and the
# row count. A few uploads per session at most (several tabs); the oldest are dropped.
UPLOADS_SESSION_KEY = "contacts.import_uploads"
UPLOADS_KEPT = 5


def _remember_upload(request, upload) -> None:
    kept = request.session.get(UPLOADS_SESSION_KEY, {})
    kept.pop(upload.path, None)
    kept[upload.path] = imports.upload_state(upload)
    request.session[UPLOADS_SESSION_KEY] = dict(list(kept.items())[-UPLOADS_KEPT:])


def _forget_upload(request, path: str) -> None:
    kept = request.session.get(UPLOADS_SESSION_KEY, {})
    if kept.pop(path, None) is not None:
        request.session[UPLOADS_SESSION_KEY] = kept


def _checked_upload(request, stored: dict, encoding: str):
    """The upload of the token, as inspected with `encoding`: from the session when it was
    inspected so already, else read again (another encoding, or another session) and kept."""
    state = request.session.get(UPLOADS_SESSION_KEY, {}).get(stored["path"])
    upload = imports.upload_from_state(state, encoding=encoding) if state else None
    if upload is None:
        upload = imports.inspect_upload(
            path=stored["path"], original_name=stored["name"], kind=stored["kind"], encoding=encoding
        )
        _remember_upload(request, upload)
    return upload


def _samples(inspection) -> list[list[str]]:
    """The first values of each column, for the mapping table."""
    samples = [[] for _header in inspection.headers]
    for _line, cells in inspection.preview[:3]:
        for index in range(len(samples)):
            value = cells[index].strip() if index < len(cells) else ""
            if value:
                samples[index].append(value)
    return samples
