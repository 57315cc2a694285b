from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache

from . import audit, roles
from .health import health_status
from .models import AuditEvent


@login_required
def home(request):
    return redirect(roles.home_url_name(request.user))


@login_required
def no_role(request):
    return render(request, "callcenter/no_role.html", status=403)


@roles.permission_required(roles.VIEW_AUDIT)
def audit_list(request):
    events = AuditEvent.objects.select_related("actor")
    action = request.GET.get("action", "").strip()
    if action:
        events = events.filter(action__startswith=action)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    for event in page:
        event.action_label = audit.action_label(event.action)
        event.object_label = audit.object_label(event.object_type) if event.object_type else ""
    codes = AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct()
    actions = sorted(((code, audit.action_label(code)) for code in codes), key=lambda pair: pair[1])
    return render(request, "callcenter/audit_list.html", {"page": page, "action": action, "actions": actions})


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
    return JsonResponse(status, status=200 if healthy else 503)


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)
