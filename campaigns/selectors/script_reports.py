"""Reports joining call attempts with talk scripts: survey answers per campaign (one row per attempt,
one column per question) and dials / contact rate / success rate per script version."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from campaigns.models import CallAttempt, Campaign
from scripts.models import ScriptVersion, Step


@dataclass
class SurveyColumn:
    script_id: int
    key: str
    label: str
    # (version id) -> {choice value: choice label}; answers are shown with the labels of the
    # version they were captured with.
    choice_labels: dict = field(default_factory=dict)
    is_disclosure: bool = False


def _day_range(qs, date_from, date_to, prefix="started_at"):
    if date_from:
        start = timezone.make_aware(datetime.datetime.combine(date_from, datetime.time.min))
        qs = qs.filter(**{f"{prefix}__gte": start})
    if date_to:
        end = timezone.make_aware(datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time.min))
        qs = qs.filter(**{f"{prefix}__lt": end})
    return qs


def survey_attempts(*, campaign: Campaign, date_from=None, date_to=None, answered_only=True) -> QuerySet:
    """Attempts of the campaign made with a script, oldest first."""
    attempts = CallAttempt.objects.filter(campaign=campaign, script_version__isnull=False)
    if answered_only:
        attempts = attempts.exclude(answers={})
    return _day_range(attempts, date_from, date_to).order_by("started_at", "id")


def survey_columns(attempts: QuerySet) -> list[SurveyColumn]:
    """One column per question (and disclosure) of the script versions these attempts used.
    The same key in two versions of one script is one column, labelled as in the newest."""
    version_ids = attempts.order_by().values("script_version").distinct()
    steps = (
        Step.objects.filter(version__in=version_ids)
        .filter(Q(kind=Step.Kind.QUESTION) | Q(is_disclosure=True))
        .select_related("version__script")
        .prefetch_related("choices")
        .order_by("version__script__name", "version__script_id", "-version__number", "position")
    )
    columns: dict[tuple, SurveyColumn] = {}
    for step in steps:  # newest version of each script first, so its labels and order win
        ident = (step.version.script_id, step.key)
        column = columns.get(ident)
        if column is None:
            column = columns[ident] = SurveyColumn(
                script_id=step.version.script_id,
                key=step.key,
                label=step.title or step.key,
                is_disclosure=step.is_disclosure,
            )
        column.choice_labels[step.version_id] = {c.value: c.label for c in step.choices.all()}
    scripts = {script_id for script_id, _key in columns}
    if len(scripts) > 1:
        names = dict(ScriptVersion.objects.filter(script_id__in=scripts).values_list("script_id", "script__name"))
        for column in columns.values():
            column.label = f"{names[column.script_id]}: {column.label}"
    return list(columns.values())


def format_answer(column: SurveyColumn, version_id: int, value) -> str:
    if value is None or value == "" or value == []:
        return ""
    if value is True:
        return "✓"
    labels = column.choice_labels.get(version_id, {})
    if isinstance(value, list):
        return " / ".join(labels.get(str(item), str(item)) for item in value)
    return labels.get(str(value), str(value))


SURVEY_FIELDS = (
    "id",
    "started_at",
    "attempt_number",
    "customer__external_id",
    "customer__name",
    "operator__username",
    "operator__last_name",
    "operator__first_name",
    "disposition__code",
    "disposition__label",
    "disposition__label_ja",
    "script_version_id",
    "script_version__number",
    "script_version__script_id",
    "script_version__script__name",
    "answers",
)


def survey_rows(attempts: QuerySet, columns: list[SurveyColumn]):
    """Each attempt as a dict with `answers_shown`: the formatted answer per column (blank where
    the attempt's script has no such question). A generator, so CSV exports stream."""
    for row in attempts.values(*SURVEY_FIELDS).iterator(chunk_size=2000):
        answers = row["answers"] or {}
        row["answers_shown"] = [
            format_answer(column, row["script_version_id"], answers.get(column.key))
            if column.script_id == row["script_version__script_id"]
            else ""
            for column in columns
        ]
        row["operator_name"] = (
            f"{row['operator__last_name']} {row['operator__first_name']}".strip() or row["operator__username"] or ""
        )
        yield row


def version_kpis(*, campaign: Campaign | None = None, script=None, date_from=None, date_to=None) -> list[dict]:
    """Dials, contacts and successes per script version (one GROUP BY query), with rates."""
    attempts = CallAttempt.objects.filter(script_version__isnull=False)
    if campaign is not None:
        attempts = attempts.filter(campaign=campaign)
    if script is not None:
        attempts = attempts.filter(script_version__script=script)
    attempts = _day_range(attempts, date_from, date_to)
    rows = list(
        attempts.values(
            "script_version_id",
            "script_version__number",
            "script_version__status",
            "script_version__published_at",
            "script_version__script_id",
            "script_version__script__name",
        )
        .annotate(
            dials=Count("id"),
            contacts=Count("id", filter=Q(is_contact=True)),
            successes=Count("id", filter=Q(is_success=True)),
        )
        .order_by("script_version__script__name", "script_version__script_id", "script_version__number")
    )
    best: dict[int, float] = {}
    for row in rows:
        row["contact_rate"] = row["contacts"] / row["dials"] if row["dials"] else None
        row["success_rate"] = row["successes"] / row["dials"] if row["dials"] else None
        row["success_per_contact"] = row["successes"] / row["contacts"] if row["contacts"] else None
        script_id = row["script_version__script_id"]
        best[script_id] = max(best.get(script_id, 0), row["success_rate"] or 0)
    counts: dict[int, int] = {}
    for row in rows:
        counts[row["script_version__script_id"]] = counts.get(row["script_version__script_id"], 0) + 1
    for row in rows:
        script_id = row["script_version__script_id"]
        # The best success rate of a script that has several versions to compare.
        row["is_best"] = bool(counts[script_id] > 1 and row["success_rate"] and row["success_rate"] == best[script_id])
    return rows
