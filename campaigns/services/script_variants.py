"""Talk script variants of a campaign: customers of a segment hear another script than the
campaign's default (the console tries the variants in order, see script_choice.py).

Every change locks the campaign row first, so two supervisors editing the same campaign's
variants at once are serialized: no segment is mapped twice and positions stay a clean 1..n."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from callcenter.audit import record_event
from campaigns.models import Campaign, CampaignScriptVariant
from scripts.models import Script


class VariantGone(Exception):
    """The variant was removed meanwhile (a stale page or a repeated request)."""


def _locked_campaign(campaign: Campaign) -> Campaign:
    # NO KEY: serializes variant edits without blocking the key-share checks of rows that point
    # at the campaign (attempts, entries of a list being built) when they commit.
    locked = Campaign.objects.select_for_update(no_key=True).get(pk=campaign.pk)
    if locked.status == Campaign.Status.FINISHED:
        raise ValidationError(_("A finished campaign cannot be changed."))
    return locked


def _renumber(campaign: Campaign) -> None:
    """Positions 1..n in the current order (one UPDATE … FROM)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE campaigns_campaignscriptvariant v SET position = o.new_position
            FROM (SELECT id, row_number() OVER (ORDER BY position, id) AS new_position
                  FROM campaigns_campaignscriptvariant WHERE campaign_id = %s) o
            WHERE v.id = o.id AND v.position <> o.new_position
        """,
            [campaign.pk],
        )


def _describe(variant: CampaignScriptVariant) -> str:
    return f"{variant.campaign.name}: {variant.segment.name} → {variant.script.name}"


@transaction.atomic
def add_variant(*, campaign: Campaign, segment, script: Script, by) -> CampaignScriptVariant:
    """Map `segment` to `script` in `campaign`, tried after the existing variants.
    A script without a published version is accepted (it may be published later) but is passed
    over at call time until then; the pages warn about it."""
    campaign = _locked_campaign(campaign)
    if campaign.script_variants.filter(segment=segment).exists():
        raise ValidationError(
            {
                "segment": [
                    _("The segment “%(segment)s” already has a script in this campaign. Delete that variant first.")
                    % {"segment": segment.name}
                ]
            }
        )
    last = campaign.script_variants.aggregate(last=Max("position"))["last"] or 0
    # Positions are 1..n already (removing and moving keep them so): the new one goes last.
    variant = CampaignScriptVariant.objects.create(campaign=campaign, segment=segment, script=script, position=last + 1)
    record_event(
        actor=by,
        action="campaign.script_variant_added",
        target=campaign,
        summary=_describe(variant),
        variant=variant.pk,
        segment=segment.pk,
        script=script.pk,
        position=variant.position,
    )
    return variant


@transaction.atomic
def move_variant(*, variant: CampaignScriptVariant, direction: str, by) -> CampaignScriptVariant:
    """Swap the variant with its neighbour above ("up") or below ("down"). At the edge it stays
    where it is (not an error: a double click must not fail)."""
    if direction not in ("up", "down"):
        raise ValidationError({"direction": [_("Move a variant “up” or “down”.")]})
    campaign = _locked_campaign(variant.campaign)
    _renumber(campaign)
    ordered = list(campaign.script_variants.select_related("segment", "script", "campaign").order_by("position", "id"))
    index = next((i for i, v in enumerate(ordered) if v.pk == variant.pk), None)
    if index is None:
        raise VariantGone()
    other_index = index - 1 if direction == "up" else index + 1
    if not 0 <= other_index < len(ordered):
        return ordered[index]
    moved, other = ordered[index], ordered[other_index]
    moved.position, other.position = other.position, moved.position
    CampaignScriptVariant.objects.bulk_update([moved, other], ["position"])
    record_event(
        actor=by,
        action="campaign.script_variant_moved",
        target=campaign,
        summary=f"{_describe(moved)} ({direction}, {other.position} → {moved.position})",
        variant=moved.pk,
        direction=direction,
        position=moved.position,
    )
    return moved


@transaction.atomic
def remove_variant(*, variant: CampaignScriptVariant, by) -> None:
    """Delete the mapping; its customers hear the next matching variant or the default script.
    Past attempts keep the script version they were made with."""
    campaign = _locked_campaign(variant.campaign)
    current = (
        CampaignScriptVariant.objects.select_related("segment", "script", "campaign")
        .filter(pk=variant.pk, campaign=campaign)
        .first()
    )
    if current is None:
        raise VariantGone()
    summary = _describe(current)
    details = {"variant": current.pk, "segment": current.segment_id, "script": current.script_id}
    current.delete()
    _renumber(campaign)
    record_event(actor=by, action="campaign.script_variant_removed", target=campaign, summary=summary, **details)
