"""Everything under /api/v1/. Each app keeps its routes in <app>/api_urls.py."""

from django.urls import include, path, re_path

from . import api

urlpatterns = [
    path("auth/token/", api.ObtainTokenView.as_view(), name="api_token"),
    path("me/", api.me, name="api_me"),
    path("", include("contacts.api_urls")),
    path("", include("scripts.api_urls")),
    path("", include("campaigns.api_urls")),
    # Last: any other path is a JSON 404 like the API's own (not the HTML page), or, without its
    # trailing slash, redirected to the path with it. ([\s\S], not ".": a path may hold a newline.)
    re_path(r"^[\s\S]*/$", api.unknown_route),
    re_path(r"^(?P<path>[\s\S]*[^/])$", api.missing_slash),
]
