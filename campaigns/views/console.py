"""The operator console (the page operators live in all day) and the supervisors' live board.
Views are thin: a form validates, one service acts, the page is rendered or redirected to."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from callcenter import roles
from callcenter.templatetags.callcenter_tags import display_name
from contacts.phones import format_national

from ..forms.appointments import BOOKING_PREFIX, BookingForm, booking_from_post
from ..forms.console import AgentStateForm, OutcomeForm
from ..models import AgentStateLog, CallAttempt, CallListEntry
from ..selectors import console as selectors
from ..selectors.own_figures import own_figures
from ..services import agent_state, appointments, call_events, dispatch, outcomes, scheduling, script_choice
from .softphone import allow_sip_websocket, softphone_context

State = AgentStateLog.State


def _console_context(request, *, entry=None, form=None, not_held_notes=None):
    operator = request.user
    state = agent_state.current_state(operator)
    context = {
        "state": state,
        "state_code": state.state if state else State.OFFLINE,
        "presence_ping_seconds": settings.AGENT_PRESENCE_PING_SECONDS,
        "absent_minutes": settings.AGENT_ABSENT_MINUTES,
        "break_reasons": agent_state.BREAK_REASONS,
        "state_reason": dict(agent_state.BREAK_REASONS).get(state.reason, state.reason) if state else "",
        "entry": entry,
        "not_held_notes": not_held_notes,
        "dials_today": CallAttempt.objects.filter(
            operator=operator, started_at__gte=timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        ).count(),
        "my_callbacks": CallListEntry.objects.filter(status=CallListEntry.Status.CALLBACK, assigned_operator=operator)
        .select_related("customer", "campaign")
        .order_by("callback_at")[:10],
    }
    if entry is not None:
        card = selectors.console_card(entry)
        zone = scheduling.zone(entry.customer.time_zone)
        if form is None:
            form = OutcomeForm(customer_zone=zone, campaign=entry.campaign, initial={"client_token": uuid.uuid4().hex})
        policy = entry.campaign.policy
        context.update(card)
        context.update(
            {
                "form": form,
                "phone_display": format_national(entry.phone) or entry.phone,
                "script_panel_url": reverse("campaigns:console_walk", args=[entry.pk]),
                "policy": policy,
                "customer_zone": entry.customer.time_zone,
                "other_zone": entry.customer.time_zone != timezone.get_current_timezone_name(),
                "attempt_number": entry.attempts + 1,
                "renew_seconds": settings.DISPATCH_HOLD_RENEW_SECONDS,
                "hold_max_minutes": settings.DISPATCH_HOLD_MAX_MINUTES,
                "disclosure_checkbox": policy is not None
                and policy.disclosure_required
                and not script_choice.script_has_disclosure(entry),
            }
        )
        context.update(softphone_context(request, entry))
        if context["suggested_outcome"] and not form.is_bound:
            form.initial.setdefault("disposition", context["suggested_outcome"])
    elif request.GET.get("empty"):
        context["no_call"] = selectors.explain_no_call(operator=operator)
    if entry is None:
        context["my_figures"] = own_figures(operator)
    return context


@roles.permission_required(roles.USE_CONSOLE)
def console(request):
    notice = agent_state.pop_sign_off_notice(request.user.pk)
    if notice is not None:
        at = time_format(timezone.localtime(notice["at"]), "H:i")
        if notice["by"]:
            messages.warning(
                request,
                _("%(name)s signed you off at %(time)s. Start work to continue.") % {"name": notice["by"], "time": at},
            )
        else:
            messages.warning(
                request,
                _(
                    "You were signed off at %(time)s: the console had no contact from you for %(minutes)s minutes "
                    "(closed tab, lost connection or a sleeping computer). Start work to continue."
                )
                % {"time": at, "minutes": settings.AGENT_ABSENT_MINUTES},
            )
    entry = selectors.held_entry(request.user)
    response = render(request, "campaigns/console/console.html", _console_context(request, entry=entry))
    return allow_sip_websocket(response) if entry is not None else response


@roles.permission_required(roles.USE_CONSOLE)
@require_POST
def console_presence(request):
    """The open console page pings every AGENT_PRESENCE_PING_SECONDS (the middleware notes the
    contact). `working` tells a page showing a working state that the operator was signed off."""
    return JsonResponse({"working": agent_state.is_working(request.user.pk)})


@roles.permission_required(roles.USE_CONSOLE)
@require_POST
def console_state(request):
    """Start/stop work, breaks, and the timer buttons' state changes (hang up → after-call work)."""
    form = AgentStateForm(request.POST)
    if not form.is_valid():
        message = " ".join(str(e) for errors in form.errors.values() for e in errors)
        if request.headers.get("HX-Request"):
            return HttpResponse(message, status=400)
        messages.error(request, message)
        return redirect("campaigns:console")
    state = form.cleaned_data["state"]
    if state == State.READY and selectors.held_entry(request.user) is not None:
        state = State.ON_CALL  # starting work (again) in the middle of a call
    try:
        agent_state.change_agent_state(operator=request.user, state=state, reason=form.cleaned_data.get("reason") or "")
    except agent_state.AgentStateError as error:
        if request.headers.get("HX-Request"):
            return HttpResponse(str(error), status=409)
        messages.error(request, str(error))
        return redirect("campaigns:console")
    if request.headers.get("HX-Request"):
        return HttpResponse(status=204)
    return redirect("campaigns:console")


@roles.permission_required(roles.USE_CONSOLE)
@require_POST
def console_next(request):
    return _next_call(request)


def _next_call(request):
    state = agent_state.current_state(request.user)
    if state is None:
        agent_state.change_agent_state(operator=request.user, state=State.READY)
    elif state.state == State.BREAK:
        messages.warning(request, _("You are on a break. Come back to work to take calls."))
        return redirect("campaigns:console")
    entry = dispatch.dispatch_next(operator=request.user)
    if entry is None:
        return redirect(reverse("campaigns:console") + "?empty=1")
    return redirect("campaigns:console")


@roles.permission_required(roles.USE_CONSOLE)
@require_POST
def console_outcome(request, entry_id):
    # Only the entry this operator holds is ever read for the page: a refused or invalid post for
    # anyone else's entry gets the operator's own console (409), never that entry's customer card.
    entry = selectors.held_entry(request.user, entry_id=entry_id)
    form = OutcomeForm(
        request.POST,
        customer_zone=scheduling.zone(entry.customer.time_zone) if entry else None,
        campaign=entry.campaign if entry else None,
    )
    if form.is_valid():
        try:
            outcome = form.outcome_kwargs()
            if entry is not None:
                outcome["script_version"] = script_choice.version_for_attempt(
                    entry_id=entry.pk,
                    script_version=outcome["script_version"],
                    answers=outcome["answers"],
                )
            # Not held: the service still answers a repeat of a request it already saved (same
            # client token), and refuses anything else.
            booking = booking_from_post(request.POST, outcome["disposition"])
            if booking is None:
                outcomes.record_outcome(entry=entry or entry_id, operator=request.user, **outcome)
            else:  # the "appointment" outcome: booked with it, in the same transaction
                appointments.record_outcome_with_appointment(
                    entry=entry or entry_id, operator=request.user, booking=booking, **outcome
                )
        except (outcomes.EntryNotHeld, CallListEntry.DoesNotExist) as error:
            message = error if isinstance(error, outcomes.EntryNotHeld) else outcomes.NOT_HELD_MESSAGE
            return _not_held(request, message)
        except ValidationError as error:
            if entry is None:
                return _not_held(request, outcomes.NOT_HELD_MESSAGE)
            shown = {name for name, field in form.fields.items() if not field.widget.is_hidden}
            for field, problems in error.message_dict.items():
                for problem in problems:
                    # Problems with hidden inputs (script answers, timings) are shown above the form.
                    form.add_error(field if field in shown else None, problem)
        else:
            messages.success(request, _("Saved."))
            if "save_next" in request.POST:
                return _next_call(request)
            return redirect("campaigns:console")
    if entry is None:
        return _not_held(request, outcomes.NOT_HELD_MESSAGE)
    context = _console_context(request, entry=entry, form=form)
    context["booking_form"] = BookingForm(request.POST, prefix=BOOKING_PREFIX)  # the panel keeps what was typed
    return render(request, "campaigns/console/console.html", context, status=400)


def _not_held(request, message):
    """409: nothing was saved. The operator's own console (their held call, if any) with what they
    typed, so it is not lost."""
    messages.error(request, str(message))
    held = selectors.held_entry(request.user)
    return render(
        request,
        "campaigns/console/console.html",
        _console_context(request, entry=held, not_held_notes=request.POST.get("notes", "")),
        status=409,
    )


@roles.permission_required(roles.USE_CONSOLE)
@require_POST
def console_renew(request, entry_id):
    """The open console keeps its hold while the call goes on (a heartbeat of the page's timers)."""
    try:
        hold = dispatch.renew_hold(entry_id=entry_id, operator=request.user)
    except dispatch.HoldLost as error:
        return JsonResponse({"detail": str(error)}, status=409)
    return JsonResponse(
        {
            "held_until": hold.held_until.isoformat(),
            "held_until_display": time_format(timezone.localtime(hold.held_until), "H:i"),
            "at_ceiling": hold.at_ceiling,
        }
    )


# ------------------------------------------------------------------ supervisors


@roles.permission_required(roles.MANAGE_LISTS, roles.VIEW_DASHBOARD)
def board(request):
    rows = selectors.operator_board()
    labels = dict(agent_state.BREAK_REASONS)
    calls = call_events.states_of([row["entry"] for row in rows if row["entry"]])
    for row in rows:
        row["reason"] = labels.get(row["state"].reason, row["state"].reason) if row["state"] else ""
        row["call"] = calls.get(row["entry"].pk) if row["entry"] else None
    context = {"rows": rows, "holds": selectors.current_holds(), "now": timezone.now()}
    template = "campaigns/console/_board.html" if request.headers.get("HX-Request") else "campaigns/console/board.html"
    return render(request, template, context)


@roles.permission_required(roles.MANAGE_LISTS)
@require_POST
def board_sign_off(request, operator_id):
    operator = get_object_or_404(get_user_model(), pk=operator_id)
    name = display_name(operator)
    if agent_state.sign_off_by_supervisor(operator=operator, by=request.user):
        messages.success(request, _("Signed off %(name)s: their working time stopped now.") % {"name": name})
    else:
        messages.warning(request, _("%(name)s is not working: there was nothing to sign off.") % {"name": name})
    return redirect("campaigns:console_board")


@roles.permission_required(roles.MANAGE_LISTS)
@require_POST
def board_release(request, entry_id):
    try:
        entry = dispatch.release_hold(entry_id=entry_id, by=request.user)
    except CallListEntry.DoesNotExist:
        messages.error(request, _("This entry does not exist."))
    except dispatch.DispatchError as error:
        messages.warning(request, str(error))
    else:
        messages.success(
            request, _("Released %(customer)s: the entry is back in the queue.") % {"customer": entry.customer.name}
        )
    return redirect("campaigns:console_board")
