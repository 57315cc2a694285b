"""Signal receivers of the campaigns app."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils import timezone

from callcenter.audit import m2m_change, record_event
from callcenter.audit_context import current_actor
from callcenter.history import attempt_erasure
from contacts.models import DoNotCall
from contacts.services.erasure import ERASURE_NOTE, customer_erased

from .models import Campaign
from .services import agent_state


@receiver(user_logged_out, dispatch_uid="campaigns.sign_off_at_logout")
def sign_off_at_logout(sender, request, user, **kwargs):
    """Logging out ends the operator's working time (a held call keeps its hold until it expires
    or a supervisor releases it)."""
    if user is not None and user.is_authenticated:
        agent_state.sign_off(operator_id=user.pk, at=timezone.now(), action=agent_state.SIGNED_OFF_AT_LOGOUT, by=user)


@receiver(m2m_changed, sender=Campaign.client_viewers.through, dispatch_uid="campaigns.audit_client_viewers")
def audit_client_viewers(sender, instance, action, reverse, pk_set, **kwargs):
    """Who may see a campaign's figures from outside the center is evidence for the client."""
    verb = m2m_change(action, pk_set)
    if verb is None:
        return
    if reverse:  # user.client_campaigns.add(...)
        pairs = [(campaign, [instance.get_username()]) for campaign in Campaign.objects.filter(pk__in=pk_set or [])]
    else:
        names = list(get_user_model().objects.filter(pk__in=pk_set or []).values_list("username", flat=True))
        pairs = [(instance, names)]
    for campaign, usernames in pairs:
        record_event(
            actor=current_actor(),
            action="campaign.client_viewers_changed",
            target=campaign,
            summary=f"{campaign.name}: {verb} {', '.join(usernames)}".strip(),
            change=verb,
            users=usernames,
        )


@receiver(customer_erased, dispatch_uid="campaigns.erase_customer_calls")
def erase_customer_calls(sender, customer_id, hash, by, **kwargs):
    """A deletion request (contacts.services.erasure): the customer's calls, in the live table and
    in the months moved to the archive schema, keep their times and outcomes for the KPIs, but
    their numbers become hashes and what was written about the person (notes, script answers, an
    appointment's notes and place, a debt's account reference) is cleared or hashed; entries still
    open are blocked. Runs in the erasure's transaction, where the history guard is open. Returns
    the objects the audit trail may name the person under and the values that stand for them, for
    the erasure to redact."""
    from .models import Appointment, CallAttempt, CallListEntry, Debt, PreNotice
    from .services.history_archive import archived_attempts_of, erase_archived_attempts

    # The months of attempts moved to the archive schema hold the same columns: erased alike.
    archived = archived_attempts_of(customer_id)
    phones = set(CallAttempt.objects.filter(customer_id=customer_id).order_by().values_list("phone", flat=True))
    phones |= {phone for _table, _id, phone in archived}
    phones |= set(CallListEntry.objects.filter(customer_id=customer_id).order_by().values_list("phone", flat=True))
    hashed = {phone: hash(phone) for phone in phones if phone and not phone.startswith("#")}
    registered = set(
        DoNotCall.objects.filter(phone_number__in=list(hashed.values())).values_list("phone_number", flat=True)
    )
    # The attempts through their own narrow door: number, notes and answers of this customer's
    # attempts only, nothing else (times and outcomes stay for the KPIs).
    with attempt_erasure(customer_id):
        for phone, digest in hashed.items():
            CallAttempt.objects.filter(customer_id=customer_id, phone=phone).update(phone=digest)
        CallAttempt.objects.filter(customer_id=customer_id).exclude(notes="", answers={}).update(notes="", answers={})
        erase_archived_attempts(customer_id, hashed, {table for table, _id, _phone in archived})
    for phone, digest in hashed.items():
        CallListEntry.objects.filter(customer_id=customer_id, phone=phone).update(phone=digest)
        if digest not in registered:  # a number dialed once that the customer no longer had
            DoNotCall.objects.create(
                phone_number=digest,
                customer_id=customer_id,
                reason=DoNotCall.Reason.CUSTOMER_REQUEST,
                source=DoNotCall.Source.SUPERVISOR,
                note=ERASURE_NOTE,
                created_by=by,
            )
    CallListEntry.objects.filter(
        customer_id=customer_id, status__in=[CallListEntry.Status.PENDING, CallListEntry.Status.CALLBACK]
    ).update(status=CallListEntry.Status.BLOCKED, next_attempt_at=None, callback_at=None, updated_at=timezone.now())
    Appointment.objects.filter(customer_id=customer_id).update(notes="", place="")
    # The account reference is the creditor's key to the person: hashed (a creditor who sends it
    # again can still be matched with the same key), never kept.
    references = {}
    for debt_id, reference in (
        Debt.objects.filter(customer_id=customer_id)
        .exclude(account_reference="")
        .values_list("pk", "account_reference")
    ):
        if not reference.startswith("#"):
            references[reference] = hash(f"account:{reference}")
            Debt.objects.filter(pk=debt_id).update(account_reference=references[reference])
    return {
        "targets": {
            CallListEntry._meta.label_lower: set(
                CallListEntry.objects.filter(customer_id=customer_id).order_by().values_list("pk", flat=True)
            ),
            CallAttempt._meta.label_lower: set(
                CallAttempt.objects.filter(customer_id=customer_id).order_by().values_list("pk", flat=True)
            )
            | {attempt_id for _table, attempt_id, _phone in archived},
            Appointment._meta.label_lower: set(
                Appointment.objects.filter(customer_id=customer_id).order_by().values_list("pk", flat=True)
            ),
            Debt._meta.label_lower: set(
                Debt.objects.filter(customer_id=customer_id).order_by().values_list("pk", flat=True)
            ),
            PreNotice._meta.label_lower: set(
                PreNotice.objects.filter(customer_id=customer_id).order_by().values_list("pk", flat=True)
            ),
        },
        "replacements": {**{phone: digest for phone, digest in hashed.items()}, **references},
    }
