"""Appointment pages: the calendar (day and week) for salespeople and supervisors, one
appointment with its outcome and reschedule forms, the salespeople's setup (supervisors), and
the calendar feed behind a secret address. Views are thin: services.appointments acts."""

import datetime as dt
from itertools import groupby

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from callcenter import roles
from callcenter.audit import record_event
from contacts.phones import format_national

from ..forms.appointments import AppointmentStatusForm, RescheduleForm, SalespersonForm
from ..models import Appointment, Salesperson
from ..models.appointments import new_feed_token
from ..selectors import appointments as selectors
from ..services import appointment_invitations, appointments, scheduling

CALENDAR_READERS = (roles.MANAGE_LISTS, roles.WORK_APPOINTMENTS)


def _zone(salesperson):
    if salesperson is not None:
        return scheduling.zone(salesperson.time_zone) or timezone.get_current_timezone()
    return timezone.get_current_timezone()


def date_param(raw: str) -> dt.date | None:
    """A YYYY-MM-DD query parameter; None for anything else (a page never fails on it)."""
    try:
        return parse_date(raw) if len(raw) == 10 else None
    except ValueError:  # well formed but not a date (2026-99-01)
        return None


def feed_url(request, salesperson) -> str:
    return request.build_absolute_uri(reverse("campaigns:appointment_feed", args=[salesperson.feed_token]))


@roles.permission_required(*CALENDAR_READERS)
def appointment_calendar(request):
    user = request.user
    salespeople = list(selectors.salespeople_visible_to(user).order_by("name", "id"))
    chosen = None
    wanted = request.GET.get("salesperson", "")
    if wanted.isascii() and wanted.isdigit():
        chosen = next((s for s in salespeople if s.pk == int(wanted)), None)
    if chosen is None and not roles.can(user, roles.MANAGE_LISTS) and salespeople:
        chosen = salespeople[0]  # a salesperson's own calendar
    view = "day" if request.GET.get("view") == "day" else "week"
    zone = _zone(chosen)
    today = timezone.now().astimezone(zone).date()
    day = date_param(request.GET.get("date", "")) or today
    start = day - dt.timedelta(days=day.weekday()) if view == "week" else day
    length = 7 if view == "week" else 1
    start_at = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    end_at = dt.datetime.combine(start + dt.timedelta(days=length), dt.time.min, tzinfo=zone)
    visible = selectors.appointments_visible_to(user)
    if chosen is not None:
        visible = visible.filter(salesperson=chosen)
    rows = list(selectors.in_range(visible, start_at, end_at))
    for appointment in rows:
        appointment.local_start = appointment.starts_at.astimezone(zone)
        appointment.local_end = appointment.ends_at.astimezone(zone)
        appointment.may_update = selectors.may_update(user, appointment)
    by_day = {d: list(items) for d, items in groupby(rows, key=lambda a: a.local_start.date())}

    def link(**changes):
        params = {"view": view, "date": day.isoformat()}
        if chosen is not None:
            params["salesperson"] = chosen.pk
        params.update(changes)
        return reverse("campaigns:appointment_calendar") + "?" + urlencode(params)

    dates = [start + dt.timedelta(days=i) for i in range(length)]
    days = [(d, by_day.get(d, []), link(view="day", date=d.isoformat())) for d in dates]
    step = dt.timedelta(days=length)
    context = {
        "days": days,
        "view": view,
        "day": day,
        "today": today,
        "zone_name": getattr(zone, "key", str(zone)),
        "salespeople": salespeople,
        "chosen": chosen,
        "is_supervisor": roles.can(user, roles.MANAGE_LISTS),
        "previous_url": link(date=(day - step).isoformat()),
        "next_url": link(date=(day + step).isoformat()),
        "today_url": link(date=today.isoformat()),
        "day_url": link(view="day"),
        "week_url": link(view="week"),
        "feed_url": feed_url(request, chosen) if chosen is not None and chosen.user_id == user.pk else "",
        "status_form": AppointmentStatusForm(),
        "now": timezone.now(),
        "return_to": request.get_full_path(),
    }
    return render(request, "campaigns/appointments/calendar.html", context)


def _visible_appointment(request, pk) -> Appointment:
    appointment = selectors.appointments_visible_to(request.user).filter(pk=pk).first()
    if appointment is None:
        raise Http404
    return appointment


def _back(request, appointment):
    target = request.POST.get("next", "")
    if target.startswith("/campaigns/appointments/") and "//" not in target:
        return redirect(target)
    return redirect("campaigns:appointment_detail", pk=appointment.pk)


@roles.permission_required(*CALENDAR_READERS)
def appointment_detail(request, pk):
    appointment = _visible_appointment(request, pk)
    zone = _zone(appointment.salesperson)
    customer_zone = scheduling.zone(appointment.customer.time_zone) or zone
    context = {
        "appointment": appointment,
        "local_start": appointment.starts_at.astimezone(zone),
        "local_end": appointment.ends_at.astimezone(zone),
        "customer_start": appointment.starts_at.astimezone(customer_zone),
        "other_zone": getattr(customer_zone, "key", None) != getattr(zone, "key", None),
        "phone": appointment.customer.primary_phone,
        "phone_display": format_national(phone.number) if (phone := appointment.customer.primary_phone) else "",
        "may_update": selectors.may_update(request.user, appointment),
        "started": appointment.starts_at <= timezone.now(),
        "reschedule_form": RescheduleForm(
            zone=zone, initial={"starts_at": appointment.starts_at.astimezone(zone).replace(tzinfo=None)}
        ),
        "history": Appointment.objects.filter(
            Q(pk=appointment.rescheduled_from_id) | Q(rescheduled_from=appointment)
        ).select_related("salesperson"),
    }
    return render(request, "campaigns/appointments/detail.html", context)


@roles.permission_required(*CALENDAR_READERS)
@require_POST
def appointment_status(request, pk):
    appointment = _visible_appointment(request, pk)
    if not selectors.may_update(request.user, appointment):
        raise Http404
    form = AppointmentStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose held, no-show or cancelled."))
        return _back(request, appointment)
    try:
        appointments.set_status(appointment_id=appointment.pk, status=form.cleaned_data["status"], by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("Marked “%(status)s”.") % {"status": Appointment.Status(form.cleaned_data["status"]).label}
        )
    return _back(request, appointment)


@roles.permission_required(*CALENDAR_READERS)
@require_POST
def appointment_reschedule(request, pk):
    appointment = _visible_appointment(request, pk)
    if not selectors.may_update(request.user, appointment):
        raise Http404
    form = RescheduleForm(request.POST, zone=_zone(appointment.salesperson))
    if form.is_valid():
        try:
            moved = appointments.reschedule(
                appointment_id=appointment.pk, starts_at=form.cleaned_data["starts_at"], by=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Moved. The salesperson gets the new invitation."))
            return redirect("campaigns:appointment_detail", pk=moved.pk)
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("campaigns:appointment_detail", pk=appointment.pk)


def appointment_feed(request, token):
    """The salesperson's calendar (iCalendar) for calendar apps that cannot sign in: the secret
    address is the key, renewed by a supervisor when it leaks."""
    salesperson = Salesperson.objects.filter(feed_token=token).first() if len(token) >= 32 else None
    if salesperson is None:
        raise Http404
    response = HttpResponse(appointment_invitations.feed_of(salesperson), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="appointments.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


# ------------------------------------------------------------------ salespeople (supervisors)


@roles.permission_required(roles.MANAGE_LISTS)
def salesperson_list(request):
    now = timezone.now()
    salespeople = Salesperson.objects.select_related("user").annotate(
        upcoming=Count("appointments", filter=Q(appointments__status="booked", appointments__starts_at__gte=now))
    )
    rows = [(salesperson, feed_url(request, salesperson)) for salesperson in salespeople]
    return render(request, "campaigns/appointments/salesperson_list.html", {"rows": rows})


@roles.permission_required(roles.MANAGE_LISTS)
def salesperson_edit(request, pk=None):
    salesperson = get_object_or_404(Salesperson, pk=pk) if pk is not None else None
    form = SalespersonForm(request.POST or None, instance=salesperson)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        record_event(
            actor=request.user,
            action="salesperson.updated" if salesperson else "salesperson.created",
            target=saved,
            summary=saved.name,
            changed=sorted(form.changed_data),
        )
        messages.success(request, _("Saved."))
        return redirect("campaigns:salesperson_list")
    return render(request, "campaigns/appointments/salesperson_form.html", {"form": form, "salesperson": salesperson})


@roles.permission_required(roles.MANAGE_LISTS)
@require_POST
def salesperson_renew_feed(request, pk):
    salesperson = get_object_or_404(Salesperson, pk=pk)
    salesperson.feed_token = new_feed_token()
    salesperson.save(update_fields=["feed_token"])
    record_event(actor=request.user, action="salesperson.feed_renewed", target=salesperson, summary=salesperson.name)
    messages.success(
        request,
        _("%(name)s's calendar has a new address; the old one no longer works.") % {"name": salesperson.name},
    )
    return redirect("campaigns:salesperson_list")
