"""Read-side queries of the scripts app, shared by pages, the API and the console panel."""

from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils.safestring import SafeString

from callcenter import call_outcomes
from contacts.models import Customer

from .flow import Flow, customer_facts
from .models import Rebuttal, Script, ScriptVersion, Step
from .placeholders import PlaceholderContext, render_text

SCRIPT_SORTS = {"name": "name", "updated": "updated_at", "-updated": "-updated_at", "-name": "-name"}


def script_list(*, q: str = "", sort: str = "") -> "QuerySet[Script]":
    versions = ScriptVersion.objects.filter(script=OuterRef("pk"))
    scripts = Script.objects.annotate(
        published_number=Subquery(versions.filter(status=ScriptVersion.Status.PUBLISHED).values("number")[:1]),
        published_id=Subquery(versions.filter(status=ScriptVersion.Status.PUBLISHED).values("id")[:1]),
        draft_id=Subquery(versions.filter(status=ScriptVersion.Status.DRAFT).values("id")[:1]),
        draft_number=Subquery(versions.filter(status=ScriptVersion.Status.DRAFT).values("number")[:1]),
        rebuttal_count=Count("rebuttals", distinct=True),
        campaign_count=Count("campaigns", distinct=True),
    )
    for word in q.split():
        scripts = scripts.filter(Q(name__icontains=word) | Q(description__icontains=word))
    return scripts.order_by(SCRIPT_SORTS.get(sort, "name"), "id")


def current_version(script: Script) -> ScriptVersion | None:
    """The version the console shows: the published one."""
    return script.versions.filter(status=ScriptVersion.Status.PUBLISHED).first()


def search_rebuttals(*, script: Script, q: str = "") -> "QuerySet[Rebuttal]":
    rebuttals = script.rebuttals.all()
    for word in q.split():
        rebuttals = rebuttals.filter(Q(objection__icontains=word) | Q(answer__icontains=word) | Q(tags__icontains=word))
    return rebuttals


def search_customers(q: str, limit: int = 20) -> list[Customer]:
    """Sample customers for a preview: by name, kana or customer ID."""
    customers = Customer.objects.all()
    for word in q.split():
        customers = customers.filter(
            Q(name__icontains=word) | Q(name_kana__icontains=word) | Q(external_id__icontains=word)
        )
    return list(customers.order_by("id")[:limit])


def disposition_labels() -> dict[str, str]:
    """code -> label of the outcomes in use, for suggested outcomes. Outcomes belong to campaigns,
    above scripts: asked through callcenter.call_outcomes."""
    return call_outcomes.dispositions()


@dataclass
class WalkStep:
    step: Step
    number: int
    html: SafeString
    choices: list = field(default_factory=list)  # [(value, label html)]


@dataclass
class WalkPanel:
    """Everything the walk-through panel shows for one call (or one preview)."""

    version: ScriptVersion
    steps: list
    config: dict
    rebuttals: list  # [(Rebuttal, answer html)]
    dispositions: dict
    disclosure: Step | None


def walk_panel(*, version: ScriptVersion, customer=None, campaign=None, operator=None) -> WalkPanel:
    flow = Flow(version)
    context = PlaceholderContext(customer=customer, campaign=campaign, operator=operator)
    steps = [
        WalkStep(
            step=step,
            number=number,
            html=render_text(step.text, context),
            choices=[(choice.value, render_text(choice.label, context)) for choice in step.choices.all()],
        )
        for number, step in enumerate(flow.steps, start=1)
    ]
    rebuttals = [(rebuttal, render_text(rebuttal.answer, context)) for rebuttal in version.script.rebuttals.all()]
    return WalkPanel(
        version=version,
        steps=steps,
        config=flow.walk_config(customer_facts(customer)),
        rebuttals=rebuttals,
        dispositions=disposition_labels(),
        disclosure=next((step for step in flow.steps if step.is_disclosure), None),
    )
