"""Read side of talk script variants: a campaign's variants in the order the console tries them,
each with the script version customers of that segment hear now."""

from django.db.models import OuterRef, Subquery

from campaigns.models import CampaignScriptVariant
from scripts.models import Script, ScriptVersion


def _published(outer_ref: str, field: str):
    return Subquery(
        ScriptVersion.objects.filter(script=OuterRef(outer_ref), status=ScriptVersion.Status.PUBLISHED).values(field)[
            :1
        ]
    )


def variants_of(campaign):
    """The campaign's variants, in order, with `published_version_id` / `published_number`
    (None when the script has nothing published: the console passes such a variant over)."""
    return (
        CampaignScriptVariant.objects.filter(campaign=campaign)
        .select_related("segment", "script")
        .annotate(published_version_id=_published("script", "pk"), published_number=_published("script", "number"))
        .order_by("position", "id")
    )


def scripts_for_variants():
    """Scripts a supervisor may choose, each with `published_number` (None: nothing published)."""
    return Script.objects.annotate(published_number=_published("pk", "number")).order_by("name")
