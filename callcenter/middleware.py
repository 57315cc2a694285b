"""Request guards shared by the pages and the API."""

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _


class RefuseNulInQueryMiddleware:
    """A NUL character in the query string (?q=%00) is a 400: PostgreSQL refuses it in any
    query parameter, so every filter reading it would otherwise end in a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "%00" in request.META.get("QUERY_STRING", "") and any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            message = _("Text cannot contain NUL (\\u0000) characters.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)
