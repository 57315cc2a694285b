"""Reads of appointments for the calendar, the API and the feed: who may see which."""

import datetime as dt

from callcenter import roles

from ..models import Appointment, Salesperson


def appointments_visible_to(user):
    """Supervisors and managers (who see customers) see every appointment; a salesperson their
    own; anyone else none."""
    appointments = Appointment.objects.select_related("salesperson", "customer", "campaign", "booked_by")
    if roles.can(user, roles.MANAGE_LISTS, roles.VIEW_CUSTOMERS):
        return appointments
    if roles.can(user, roles.WORK_APPOINTMENTS):
        return appointments.filter(salesperson__user=user)
    return appointments.none()


def salespeople_visible_to(user):
    if roles.can(user, roles.MANAGE_LISTS, roles.VIEW_CUSTOMERS):
        return Salesperson.objects.all()
    if roles.can(user, roles.WORK_APPOINTMENTS):
        return Salesperson.objects.filter(user=user)
    return Salesperson.objects.none()


def may_update(user, appointment: Appointment) -> bool:
    """Supervisors update any appointment, a salesperson their own (managers only read)."""
    if roles.can(user, roles.MANAGE_LISTS):
        return True
    return roles.can(user, roles.WORK_APPOINTMENTS) and appointment.salesperson.user_id == user.pk


def in_range(appointments, start: dt.datetime, end: dt.datetime):
    """The appointments overlapping [start, end), earliest first."""
    return appointments.filter(starts_at__lt=end, ends_at__gt=start).order_by("starts_at", "id")
