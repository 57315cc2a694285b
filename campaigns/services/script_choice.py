"""Which talk script a customer hears in a campaign: the first script variant whose segment the
customer belongs to, else the campaign's default script. Only published scripts count: a variant
whose script has no published version yet is passed over, so the console always has something to
show when anything is published."""
import logging

from django.core.exceptions import ValidationError

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
