"""Each campaign's own outcome set: which outcomes its console offers, and on which key.

A campaign starts with a copy of the default set (the outcomes with a `default_key`), so editing
the default set later changes only campaigns created after. A key stays with its outcome until the
supervisor changes it: adding or removing another outcome moves no one's keys. The set never holds
more than the console grid shows (MAX_CAMPAIGN_OUTCOMES); the campaign row is locked while the set
changes, so two supervisors adding at once cannot pass that limit, and the unique constraints of
CampaignOutcome refuse a key or an outcome taken by a request that committed meanwhile."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from callcenter.audit import record_event
from campaigns.dispositions import PURPOSE_KEYS
from campaigns.models import Campaign, CampaignOutcome, Disposition
from campaigns.models.dispositions import CONSOLE_KEYS, KEY_OWNERS, MAX_CAMPAIGN_OUTCOMES, OUTCOME_KEYS, key_rank


def default_set(purpose: str = "") -> list[tuple[Disposition, str]]:
    """The default set, (outcome, key) in key order: active outcomes with a default key, and those
    a campaign of `purpose` starts with too (a collections campaign: the promise to pay)."""
    extra = PURPOSE_KEYS.get(purpose, {})
    rows = [(d, d.default_key) for d in Disposition.objects.filter(active=True).exclude(default_key="")]
    taken = {key for _, key in rows}
    rows += [
        (d, extra[d.code])
        for d in Disposition.objects.filter(active=True, default_key="", code__in=list(extra))
        if extra[d.code] not in taken
    ]
    return sorted(rows, key=lambda row: key_rank(row[1]))[:MAX_CAMPAIGN_OUTCOMES]


def copy_default_set(*, campaign) -> None:
    """Give a new campaign the default set (nothing happens to outcomes it already has)."""
    CampaignOutcome.objects.bulk_create(
        [CampaignOutcome(campaign=campaign, disposition=d, key=key) for d, key in default_set(campaign.purpose)],
        ignore_conflicts=True,
    )


def campaign_outcomes(campaign, *, active_only: bool = False) -> list[CampaignOutcome]:
    """The campaign's set in console order (by key), each with its outcome loaded."""
    rows = CampaignOutcome.objects.filter(campaign=campaign).select_related("disposition")
    if active_only:
        rows = rows.filter(disposition__active=True)
    return sorted(rows, key=lambda row: key_rank(row.key))


def key_problem(key: str, *, code: str = "") -> str | None:
    """Why `key` cannot be the key of the outcome `code` (None when it can)."""
    if len(key) == 1 and key.upper() in KEY_OWNERS and KEY_OWNERS[key.upper()] == code:
        return None
    if len(key) == 1 and key.upper() in CONSOLE_KEYS:
        return _("%(key)s is a console shortcut: choose a digit or another letter.") % {"key": key.upper()}
    if len(key) != 1 or key not in OUTCOME_KEYS or key in KEY_OWNERS:
        return _("A key is one digit (0-9) or one letter (A-Z).")
    return None


def normalize_key(key) -> str:
    return str(key or "").strip().upper()


def _lock(campaign) -> Campaign:
    # FOR NO KEY UPDATE as the campaign transitions: set changes queue behind each other, and
    # nothing inserted meanwhile that points at the campaign has to wait for them.
    return Campaign.objects.select_for_update(no_key=True).get(pk=campaign.pk)


def _refusal(error: IntegrityError, *, key: str, campaign) -> ValidationError:
    """The constraint a concurrent request made us break, as the form/API error it means."""
    constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", "")
    if constraint == "campaign_outcome_key_once":
        return ValidationError({"key": [_taken_message(campaign, key)]})
    if constraint == "campaign_outcome_once":
        return ValidationError({"disposition": [_("This outcome is already in the campaign's set.")]})
    raise error


def _taken_message(campaign, key: str) -> str:
    holder = CampaignOutcome.objects.filter(campaign=campaign, key=key).select_related("disposition").first()
    if holder is None:
        return _("The key %(key)s is taken.") % {"key": key}
    return _("The key %(key)s is taken by %(outcome)s.") % {"key": key, "outcome": holder.disposition.display_label}


@transaction.atomic
def add_outcome(*, campaign, disposition, key, by) -> CampaignOutcome:
    """Put an outcome in the campaign's set on `key`. ValidationError({field: [message]}) when the
    key is not a valid key or is taken, the outcome is in the set already or not in use, or the
    set is full."""
    key = normalize_key(key)
    campaign = _lock(campaign)
    problem = key_problem(key, code=disposition.code)
    errors: dict[str, list[str]] = {}
    if problem:
        errors["key"] = [problem]
    elif CampaignOutcome.objects.filter(campaign=campaign, key=key).exists():
        errors["key"] = [_taken_message(campaign, key)]
    if not disposition.active:
        errors["disposition"] = [_("This outcome is no longer in use.")]
    elif CampaignOutcome.objects.filter(campaign=campaign, disposition=disposition).exists():
        errors["disposition"] = [_("This outcome is already in the campaign's set.")]
    elif CampaignOutcome.objects.filter(campaign=campaign).count() >= MAX_CAMPAIGN_OUTCOMES:
        errors["disposition"] = [
            _("A campaign offers at most %(max)s outcomes (what the console shows at once): remove one first.")
            % {"max": MAX_CAMPAIGN_OUTCOMES}
        ]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            row = CampaignOutcome.objects.create(campaign=campaign, disposition=disposition, key=key)
    except IntegrityError as error:
        raise _refusal(error, key=key, campaign=campaign) from None
    record_event(
        actor=by,
        action="campaign.outcome_added",
        target=campaign,
        summary=f"{campaign.name}: {key} {disposition.code}",
        disposition=disposition.code,
        key=key,
    )
    return row


@transaction.atomic
def change_key(*, campaign, disposition, key, by) -> CampaignOutcome:
    """Move an outcome of the set to another key (refused when the key is taken or not valid)."""
    key = normalize_key(key)
    campaign = _lock(campaign)
    row = CampaignOutcome.objects.filter(campaign=campaign, disposition=disposition).first()
    if row is None:
        raise ValidationError({"disposition": [_("This outcome is not in the campaign's set.")]})
    if row.key == key:
        return row
    problem = key_problem(key, code=disposition.code)
    if problem is None and CampaignOutcome.objects.filter(campaign=campaign, key=key).exists():
        problem = _taken_message(campaign, key)
    if problem:
        raise ValidationError({"key": [problem]})
    previous = row.key
    row.key = key
    try:
        with transaction.atomic():
            row.save(update_fields=["key"])
    except IntegrityError as error:
        raise _refusal(error, key=key, campaign=campaign) from None
    record_event(
        actor=by,
        action="campaign.outcome_key_changed",
        target=campaign,
        summary=f"{campaign.name}: {disposition.code} {previous} → {key}",
        disposition=disposition.code,
        previous=previous,
        key=key,
    )
    return row


@transaction.atomic
def remove_outcome(*, campaign, disposition, by) -> None:
    """Take an outcome out of the set (its past attempts keep it). The last outcome stays: the
    console could not save a call without one."""
    campaign = _lock(campaign)
    row = CampaignOutcome.objects.filter(campaign=campaign, disposition=disposition).first()
    if row is None:
        raise ValidationError({"disposition": [_("This outcome is not in the campaign's set.")]})
    if CampaignOutcome.objects.filter(campaign=campaign).count() <= 1:
        raise ValidationError({"disposition": [_("A campaign needs at least one outcome.")]})
    row.delete()
    record_event(
        actor=by,
        action="campaign.outcome_removed",
        target=campaign,
        summary=f"{campaign.name}: {row.key} {disposition.code}",
        disposition=disposition.code,
        key=row.key,
    )
