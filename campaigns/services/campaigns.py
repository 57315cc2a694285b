"""Campaign life cycle: draft → active ⇄ paused → finished, with guards, and the start/end dates
that Celery beat applies."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.audit import record_event
from callcenter.uniqueness import save_keeping_unique
from campaigns.models import CallList, Campaign
from campaigns.services import outcome_sets, readiness
from campaigns.services.policies import MAX_WINDOW_DAYS

Status = Campaign.Status

# Which status each action leads to, and from where it may start.
TRANSITIONS = {
    "activate": (Status.ACTIVE, {Status.DRAFT, Status.PAUSED}),
    "pause": (Status.PAUSED, {Status.ACTIVE}),
    "finish": (Status.FINISHED, {Status.DRAFT, Status.ACTIVE, Status.PAUSED}),
}
OPEN_LIST_STATUSES = (CallList.Status.BUILDING, CallList.Status.READY, CallList.Status.PAUSED)
# What saving an existing campaign writes: everything but its status (changed by the transitions
# only) and its creation.
EDITABLE_FIELDS = [
    field.name
    for field in Campaign._meta.concrete_fields
    if not field.primary_key and field.name not in ("status", "created_by", "created_at")
]


class CampaignStateError(Exception):
    """A transition the guards refuse; `problems` are sentences for the user."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


def activation_problems(campaign, *, today=None) -> list[str]:
    """Why the campaign cannot be activated now (empty when it can): the blocking items of its
    readiness checklist (campaigns.services.readiness)."""
    return readiness.blocking_problems(campaign, today=today)


def last_status_change(campaign):
    """The audit event of the campaign's last start, pause or finish (who, when, why), or None."""
    from callcenter.audit import AuditEvent

    return (
        AuditEvent.objects.filter(
            object_type="campaigns.campaign",
            object_id=str(campaign.pk),
            action__in=[f"campaign.{action}" for action in TRANSITIONS],
        )
        .select_related("actor")
        .order_by("-created_at", "-id")
        .first()
    )


# The three figures the cost per call (CPC) is made of.
COST_FIELDS = ("cost_per_hour", "cost_per_minute", "fixed_cost")


def value_problems(values: dict) -> dict[str, list[str]]:
    """Limits of a campaign's own figures, {field: [messages]} (the form and the API). A negative
    cost makes the CPC negative; a pre-notice rule longer than any policy window (ten years)
    overflows the date arithmetic of the list build and means nothing anyway."""
    problems: dict[str, list[str]] = {}
    for field in COST_FIELDS:
        if values.get(field) is not None and values[field] < 0:
            problems[field] = [_("A cost cannot be negative.")]
    if (values.get("prenotice_days") or 0) > MAX_WINDOW_DAYS:
        problems["prenotice_days"] = [_("At most %(max)s days (ten years).") % {"max": MAX_WINDOW_DAYS}]
    return problems


def edit_problems(*, status: str, policy) -> dict[str, list[str]]:
    """What an edit may not do to a campaign in its status, {field: [messages]} (the form and the
    API). An active or paused campaign keeps a policy: without one dispatch passes it over and the
    operators are told there is no list, while activation itself requires a policy."""
    if status in (Status.ACTIVE, Status.PAUSED) and policy is None:
        return {
            "policy": [
                _("An active or paused campaign needs a calling policy: choose another one, or finish the campaign.")
            ]
        }
    return {}


def _change_status(*, campaign_id: int, action: str, by, reason: str = "") -> Campaign:
    target, allowed_from = TRANSITIONS[action]
    # Locked re-read: two supervisors (or beat and a supervisor) acting at once see each other.
    # FOR NO KEY UPDATE, not FOR UPDATE: rows inserted meanwhile that point at the campaign (a
    # list build's entries, attempts) take a key-share lock on it when they commit, and finishing
    # waits for those very transactions (their lists and entries): FOR UPDATE would deadlock.
    campaign = Campaign.objects.select_for_update(no_key=True).get(pk=campaign_id)
    if campaign.status == target:
        return campaign  # already there: a repeated click or a retried task is not an error
    if campaign.status not in allowed_from:
        raise CampaignStateError(
            [_("A campaign that is %(status)s cannot be changed this way.") % {"status": campaign.get_status_display()}]
        )
    if action == "activate":
        problems = activation_problems(campaign)
        if problems:
            raise CampaignStateError(problems)
    previous = campaign.status
    campaign.status = target
    campaign.save(update_fields=["status", "updated_at"])
    if target == Status.FINISHED:
        # A finished campaign is never dialed again: close its lists and cancel what was still
        # waiting to be called (finished entries keep their outcome).
        from campaigns.models import CallListEntry

        campaign.call_lists.filter(status__in=OPEN_LIST_STATUSES).update(status=CallList.Status.CLOSED)
        CallListEntry.objects.filter(
            campaign=campaign, status__in=[CallListEntry.Status.PENDING, CallListEntry.Status.CALLBACK]
        ).update(status=CallListEntry.Status.CANCELLED, updated_at=timezone.now())
    record_event(
        actor=by,
        action=f"campaign.{action}",
        target=campaign,
        summary=f"{campaign.name}: {previous} → {target}" + (f" ({reason})" if reason else ""),
        previous=previous,
        status=target,
        reason=reason,
    )
    return campaign


@transaction.atomic
def activate_campaign(*, campaign, by, reason: str = "") -> Campaign:
    return _change_status(campaign_id=campaign.pk, action="activate", by=by, reason=reason)


@transaction.atomic
def pause_campaign(*, campaign, by, reason: str = "") -> Campaign:
    return _change_status(campaign_id=campaign.pk, action="pause", by=by, reason=reason)


@transaction.atomic
def finish_campaign(*, campaign, by, reason: str = "") -> Campaign:
    return _change_status(campaign_id=campaign.pk, action="finish", by=by, reason=reason)


CHANGE_STATUS = {"activate": activate_campaign, "pause": pause_campaign, "finish": finish_campaign}


@transaction.atomic
def save_campaign(*, campaign, by, operators=None, changed: list[str] | None = None) -> Campaign:
    """Create or edit a campaign (not its status: that goes through the transitions)."""
    created = campaign.pk is None
    taken = _("A campaign with this name already exists.")
    if created:
        campaign.created_by = by if by is not None and by.is_authenticated else None
        campaign.status = Status.DRAFT
        save_keeping_unique(campaign, field="name", message=taken)
    else:
        # Not the status: the copy being saved was read before, and a transition committed since
        # (beat finishing the campaign at its end date, another supervisor's pause) must stand.
        save_keeping_unique(campaign, field="name", message=taken, update_fields=EDITABLE_FIELDS)
    if created:
        outcome_sets.copy_default_set(campaign=campaign)
    if operators is not None:
        campaign.operators.set(operators)
    record_event(
        actor=by,
        action="campaign.created" if created else "campaign.updated",
        target=campaign,
        summary=campaign.name,
        changed=sorted(changed or []),
    )
    return campaign


def apply_campaign_dates(*, today=None) -> dict:
    """Start draft campaigns whose start date has come and finish those whose end date has
    passed (ends_on is the last calling day). Run by Celery beat every minute; idempotent.
    A campaign that cannot start (no list, no operator...) stays a draft, and the reason is
    recorded once a day in the audit trail."""
    from callcenter.models import AuditEvent

    today = today or timezone.localdate()
    result = {"started": [], "finished": [], "not_started": []}
    ending = Campaign.objects.filter(
        status__in=[Status.DRAFT, Status.ACTIVE, Status.PAUSED], ends_on__lt=today
    ).values_list("pk", flat=True)
    for campaign_id in ending:
        with transaction.atomic():
            _change_status(campaign_id=campaign_id, action="finish", by=None, reason="end date")
        result["finished"].append(campaign_id)
    starting = (
        Campaign.objects.filter(status=Status.DRAFT, starts_on__lte=today)
        .exclude(ends_on__lt=today)
        .values_list("pk", flat=True)
    )
    for campaign_id in starting:
        try:
            with transaction.atomic():
                _change_status(campaign_id=campaign_id, action="activate", by=None, reason="start date")
            result["started"].append(campaign_id)
        except CampaignStateError as error:
            result["not_started"].append(campaign_id)
            already_told = AuditEvent.objects.filter(
                action="campaign.start_blocked", object_id=str(campaign_id), created_at__date=today
            ).exists()
            if not already_told:
                campaign = Campaign.objects.get(pk=campaign_id)
                record_event(
                    actor=None,
                    action="campaign.start_blocked",
                    target=campaign,
                    summary=f"{campaign.name}: {error}",
                    problems=error.problems,
                )
    return result


@transaction.atomic
def set_operator_skills(*, operator, skills: list[str], by):
    """Replace an operator's skill tags (lists may require one)."""
    from campaigns.models import OperatorProfile

    profile, _ = OperatorProfile.objects.get_or_create(user=operator)
    previous = list(profile.skills)
    profile.skills = sorted(set(skills))
    profile.save(update_fields=["skills"])
    record_event(
        actor=by,
        action="operator.skills",
        target=operator,
        summary=f"{operator.username}: {', '.join(profile.skills) or '-'}",
        previous=previous,
        skills=profile.skills,
    )
    return profile
