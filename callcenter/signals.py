"""Audit events for what happens outside our services: sign-in and sign-out, failed sign-ins, role
(group) changes and every change made through the Django admin."""

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver

from .audit import m2m_change, record_event
from .audit_context import client_ip, current_actor

ADMIN_ACTIONS = {ADDITION: "admin.addition", CHANGE: "admin.change", DELETION: "admin.deletion"}


@receiver(user_logged_in, dispatch_uid="callcenter.audit_login")
def audit_login(sender, request, user, **kwargs):
    record_event(actor=user, action="auth.login", target=user, summary=user.get_username(), ip=client_ip(request))


@receiver(user_logged_out, dispatch_uid="callcenter.audit_logout")
def audit_logout(sender, request, user, **kwargs):
    if user is not None and user.is_authenticated:
        record_event(actor=user, action="auth.logout", target=user, summary=user.get_username(), ip=client_ip(request))


@receiver(user_login_failed, dispatch_uid="callcenter.audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    # Django has already masked the password in `credentials`; only the name typed is kept.
    username = str(credentials.get("username", ""))[:150]
    record_event(actor=None, action="auth.login_failed", summary=username, username=username, ip=client_ip(request))


@receiver(m2m_changed, sender=get_user_model().groups.through, dispatch_uid="callcenter.audit_group_change")
def audit_group_change(sender, instance, action, reverse, pk_set, **kwargs):
    verb = m2m_change(action, pk_set)
    if verb is None:
        return
    User = get_user_model()
    if reverse:  # group.user_set.add(...): one event per user
        users, groups = User.objects.filter(pk__in=pk_set or []), [instance.name]
    else:
        users, groups = [instance], list(Group.objects.filter(pk__in=pk_set or []).values_list("name", flat=True))
    for user in users:
        record_event(
            actor=current_actor(),
            action="user.groups_changed",
            target=user,
            summary=f"{user.get_username()}: {verb} {', '.join(groups)}".strip(),
            change=verb,
            groups=groups,
        )


@receiver(post_save, sender=LogEntry, dispatch_uid="callcenter.audit_admin_change")
def audit_admin_change(sender, instance, created, **kwargs):
    if not created:
        return
    record_event(
        actor=instance.user,
        action=ADMIN_ACTIONS.get(instance.action_flag, "admin.change"),
        summary=f"{instance.content_type.app_label}.{instance.content_type.model} {instance.object_repr}"[:500],
        object_type=f"{instance.content_type.app_label}.{instance.content_type.model}",
        object_id=instance.object_id or "",
        change_message=instance.get_change_message(),
    )
