"""Size limits of uploads. Each upload form checks its own limit with `check_size` (one message
for all of them, the rest of the form kept); `RefuseOversizedRequestsMiddleware` refuses a request
body larger than any upload may be before anything reads it, so nobody can fill the disk with a
huge multipart body sent to any page, signed in or not."""

from django import forms
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


def too_large(limit: int) -> str:
    return _("The file is too large; the limit is %(limit)s MB. Split it into smaller files.") % {
        "limit": megabytes(limit)
    }


def check_size(upload, limit: int) -> None:
    """For a form's clean_<file>(): a ValidationError when the uploaded file is over `limit` bytes."""
    if upload is not None and upload.size > limit:
        raise forms.ValidationError(too_large(limit))


class RefuseOversizedRequestsMiddleware:
    """413 for a request whose declared body is over REQUEST_MAX_BYTES. Placed before the CSRF
    check, which would read (and store) a multipart body to find its token."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.REQUEST_MAX_BYTES:
            message = _("The request is too large; the limit is %(limit)s MB.") % {
                "limit": megabytes(settings.REQUEST_MAX_BYTES)
            }
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
