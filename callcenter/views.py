from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache

from . import roles
from .db_routing import replica_configured, replica_health
from .health import health_status


@login_required
def home(request):
    return redirect(roles.home_url_name(request.user))


@login_required
def no_role(request):
    return render(request, "callcenter/no_role.html", status=403)


def favicon(request):
    # Resolved per request: with the hashed static storage the manifest exists only after
    # collectstatic, so this must not run at import time.
    return redirect(static("img/favicon.svg"), permanent=True)


@never_cache
def healthz(request):
    """{"database", "redis", "celery"}: "ok" or, for anyone else than signed-in staff, "failed";
    staff see the error (it names hosts and ports, nothing an anonymous caller needs)."""
    status = health_status()
    healthy = all(value == "ok" for value in status.values())
    if not (request.user.is_authenticated and request.user.is_staff):
        status = {name: "ok" if value == "ok" else "failed" for name, value in status.items()}
    if replica_configured():
        # Reported, but not a failure: without the replica its reads go to the primary.
        replica = replica_health()
        if not (request.user.is_authenticated and request.user.is_staff) and replica["replica"] != "ok":
            replica["replica"] = "failed"
        status.update(replica)
    return JsonResponse(status, status=200 if healthy else 503)


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)
