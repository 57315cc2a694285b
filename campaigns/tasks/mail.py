"""Celery tasks that send mail (the "mail" queue, settings.CELERY_WORK_KINDS): the salespeople's
appointment invitations and cancellations. A redelivered task sends the same invitation again,
which a calendar takes as the same event (same UID)."""

from celery import shared_task

from ..services import appointment_invitations


@shared_task(acks_late=True, ignore_result=True)
def send_appointment_invitation(appointment_id: int) -> bool:
    return appointment_invitations.send_invitation(appointment_id)


@shared_task(acks_late=True, ignore_result=True)
def send_appointment_cancellation(appointment_id: int) -> bool:
    return appointment_invitations.send_cancellation(appointment_id)
