"""The mandatory disclosure (特定商取引法 Art. 16: 氏名等の明示) a campaign's scripts must open with.

With its policy's `disclosure_required`, a campaign may be activated only when every talk script
it can show (its default script and each variant's, as the console picks them: the latest
published version) opens with a disclosure step whose text covers four items: the selling company,
the caller's name, the product, and the statement that this is a sales call. An item is covered by
a placeholder that the console fills in (`{{ company.name }}`, `{{ operator.name }}` or
`{{ operator.last_name }}`, `{{ campaign.product }}`; the campaign must then name its company and
product), or by a supervisor's confirmation that the wording covers it (scripts.DisclosureReview,
one per published version). No placeholder can say "this is a sales call": that item is always
confirmed by a supervisor.

`disclosure_problems(campaign)` is the one check: the activation guard
(campaigns.activation_problems) and the campaign page read it. The outcome side (each attempt
records whether the operator confirmed the disclosure) is in campaigns.services.outcomes."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from callcenter.audit import record_event
from scripts.models import DisclosureReview, ScriptVersion
from scripts.placeholders import placeholder_names

ITEMS = {
    "company": gettext_lazy("the selling company"),
    "caller": gettext_lazy("the caller's name"),
    "product": gettext_lazy("the product or service"),
    "sales_call": gettext_lazy("that this is a sales call"),
}
# The placeholders that cover an item by themselves, and the campaign field each one needs filled.
COVERING_PLACEHOLDERS = {
    "company": {"company.name": "company"},
    "caller": {"operator.name": None, "operator.last_name": None},
    "product": {"campaign.product": "product"},
    "sales_call": {},
}


@dataclass
class ScriptDisclosure:
    """How one script version the campaign can show fares."""

    version: ScriptVersion
    step: object = None  # the disclosure step, None when the script has none
    by_placeholder: set = field(default_factory=set)
    confirmed: set = field(default_factory=set)
    problems: list = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        covered = self.by_placeholder | self.confirmed
        return [item for item in ITEMS if item not in covered]


def scripts_shown(campaign) -> list[ScriptVersion]:
    """The published versions the console can show in this campaign (default script first, then
    each variant's script), each once."""
    from campaigns.models import CampaignScriptVariant

    scripts = [campaign.script] if campaign.script_id else []
    variants = CampaignScriptVariant.objects.filter(campaign=campaign).select_related("script")
    scripts += [variant.script for variant in variants.order_by("position", "id")]
    versions, seen = [], set()
    for script in scripts:
        version = script.latest_published()
        if version is not None and version.pk not in seen:
            seen.add(version.pk)
            versions.append(version)
    return versions


def review(campaign) -> list[ScriptDisclosure]:
    """Each script version the campaign can show, with the items its disclosure step covers."""
    results = []
    for version in scripts_shown(campaign):
        result = ScriptDisclosure(version=version)
        # Publishing refuses a disclosure step that is not the opening one (scripts.flow).
        step = version.steps.filter(is_disclosure=True).first()
        if step is None:
            result.problems.append(
                _("“%(script)s” v%(number)s does not open with a mandatory disclosure step.")
                % {"script": version.script.name, "number": version.number}
            )
            results.append(result)
            continue
        result.step = step
        used = set(placeholder_names(step.text))
        for item, placeholders in COVERING_PLACEHOLDERS.items():
            for name, campaign_field in placeholders.items():
                if name not in used:
                    continue
                if campaign_field and not (getattr(campaign, campaign_field, "") or "").strip():
                    result.problems.append(
                        _("“%(script)s” uses {{ %(name)s }}, but the campaign does not name its %(item)s.")
                        % {"script": version.script.name, "name": name, "item": ITEMS[item]}
                    )
                    continue
                result.by_placeholder.add(item)
        confirmation = DisclosureReview.objects.filter(version=version).first()
        result.confirmed = set(confirmation.items) if confirmation else set()
        if result.missing:
            result.problems.append(
                _(
                    "The disclosure of “%(script)s” v%(number)s does not show that it states %(items)s: use the "
                    "placeholders or confirm the wording."
                )
                % {
                    "script": version.script.name,
                    "number": version.number,
                    "items": ", ".join(str(ITEMS[item]) for item in result.missing),
                }
            )
        results.append(result)
    return results


def disclosure_problems(campaign) -> list[str]:
    """Why the campaign's scripts do not meet the mandatory disclosure (empty when they do, or
    when its policy does not require it)."""
    policy = campaign.policy
    if policy is None or not policy.disclosure_required:
        return []
    results = review(campaign)
    if not results:
        return [_("The calling policy requires the mandatory disclosure: give the campaign a published talk script.")]
    return [problem for result in results for problem in result.problems]


@transaction.atomic
def confirm_wording(*, version, items: list[str], by) -> DisclosureReview:
    """A supervisor confirms that the wording of `version`'s disclosure step covers `items`."""
    unknown = [item for item in items if item not in ITEMS]
    if unknown:
        raise ValueError(unknown)
    confirmation, _created = DisclosureReview.objects.update_or_create(
        version=version, defaults={"items": sorted(set(items)), "confirmed_by": by}
    )
    record_event(
        actor=by,
        action="disclosure.confirmed",
        target=version,
        summary=f"{version.script.name} v{version.number}: {', '.join(confirmation.items) or '-'}",
        items=confirmation.items,
    )
    return confirmation
