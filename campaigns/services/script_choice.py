"""Which talk script a customer hears in a campaign: the first script variant whose segment the
customer belongs to, else the campaign's default script. Only published scripts count: a variant
whose script has no published version yet is passed over, so the console always has something to
show when anything is published."""

import logging

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from contacts.segments import customers_matching
from scripts.models import Script, ScriptVersion

logger = logging.getLogger(__name__)


def _published(script: Script | None) -> ScriptVersion | None:
    return script.latest_published() if script is not None else None


def choose_script_version(*, campaign, customer) -> ScriptVersion | None:
    """The published script version for `customer` in `campaign`, or None when there is none.
    Variants are tried in their order; one query per variant until one matches."""
    for variant in campaign.script_variants.select_related("segment", "script").order_by("position", "id"):
        try:
            matches = customers_matching(variant.segment.criteria).filter(pk=customer.pk).exists()
        except ValidationError:
            # A segment saved with criteria that no longer validate must not break the console.
            logger.warning("script variant %s: segment %s has invalid criteria", variant.pk, variant.segment_id)
            continue
        if matches:
            version = _published(variant.script)
            if version is not None:
                return version
    return _published(campaign.script)


def choose_script(*, campaign, customer) -> Script | None:
    version = choose_script_version(campaign=campaign, customer=customer)
    return version.script if version else None


def version_for_attempt(*, entry_id: int, script_version, answers) -> ScriptVersion | int | None:
    """The script version an attempt records. The console sends the version it showed; a client
    that leaves it out (a dialer on the API, an outcome sent before the walk panel loaded) gets
    the version the console shows this customer, so every attempt counts for a version and its
    answers and required questions are still checked by the outcome. Refused (ValidationError):
    a version of a script the campaign does not use (its answers would skip this script's required
    questions and land in another script's figures), and answers without any script to check them."""
    from ..models import CallListEntry

    entry = CallListEntry.objects.select_related("campaign__script", "customer").filter(pk=entry_id).first()
    if entry is None:
        return script_version or None  # the outcome's own read reports the unknown entry
    if script_version not in (None, ""):
        # Any version of the campaign's scripts: a call that began before a newer version was
        # published keeps the one it was read from.
        campaign = entry.campaign
        used_scripts = Q(script_id=campaign.script_id) | Q(script__in=campaign.script_variants.values("script"))
        in_range = 0 < script_version < 2**63
        version = ScriptVersion.objects.filter(used_scripts, pk=script_version).first() if in_range else None
        if version is None and in_range:
            # The campaign's scripts changed while this call went on (a supervisor removed the
            # variant, or gave the campaign another script): the operator read the old one, and
            # the call must still be saved with it.
            shown = ScriptVersion.objects.filter(pk=script_version).first()
            if shown is not None and _scripts_changed_during_the_call(entry, shown.script_id):
                version = shown
        if version is None:
            raise ValidationError(
                {"script_version": [_("This script version is not one of this campaign's talk scripts.")]}
            )
        return version
    version = choose_script_version(campaign=entry.campaign, customer=entry.customer)
    if version is None and answers:
        raise ValidationError(
            {"answers": [_("Script answers were given, but this campaign has no published talk script.")]}
        )
    return version


def _scripts_changed_during_the_call(entry, script_id: int) -> bool:
    """Whether, since the entry was dispatched, the campaign lost a variant with this script or
    had its default script changed (the audit trail records both)."""
    from django.utils import timezone

    from callcenter.models import AuditEvent

    from .dispatch import hold_ceiling

    # A hold without its start (taken before it was recorded) lasted at most the ceiling.
    since = entry.held_at or timezone.now() - hold_ceiling()
    changes = AuditEvent.objects.filter(
        object_type="campaigns.campaign",
        object_id=str(entry.campaign_id),
        created_at__gte=since,
    )
    return changes.filter(
        Q(action="campaign.script_variant_removed", data__script=script_id)
        | Q(action="campaign.updated", data__changed__contains=["script"])
    ).exists()


def script_has_disclosure(entry) -> bool:
    """Whether the script the console shows this entry's customer has a mandatory disclosure step
    (its tick then confirms the disclosure; else the outcome form asks for it)."""
    version = choose_script_version(campaign=entry.campaign, customer=entry.customer)
    return version is not None and version.steps.filter(is_disclosure=True).exists()
