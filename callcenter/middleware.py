"""Request guards shared by the pages and the API."""

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.cache import patch_cache_control
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


class NoStoreWhenSignedInMiddleware:
    """Every page and API answer to a signed-in user is `Cache-Control: no-store, private`: they
    carry customer data (or may), and on a shared floor PC neither the browser's cache nor its
    back button may show the last person's customer to the next one, nor may a proxy keep them.
    After the view has run, so an API request signed in with a token counts too (DRF sets the
    user on the request)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response
