"""Calling policies: the shipped presets and saving a policy with an audit trail."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from callcenter.audit import record_event
from callcenter.uniqueness import save_keeping_unique
from campaigns import presets

# Upper bounds of the policy's waits. Each becomes a datetime step (last attempt + minutes, now -
# days): far beyond these the arithmetic overflows (a crashed outcome or scheduling task) and no
# calling rule means anything anyway.
MAX_DELAY_MINUTES = 366 * 24 * 60
MAX_WINDOW_DAYS = 3660

# The presets live in campaigns.presets (values, versions and the law behind each value).
PRESETS = presets.PRESETS
POLICY_FIELDS = presets.POLICY_FIELDS
preset_values = presets.preset_values


def ensure_preset_policies() -> None:
    """Create the shipped presets that do not exist yet; a supervisor's edits are kept."""
    from campaigns.models import CallingPolicy

    for key in PRESETS:
        values = preset_values(key)
        CallingPolicy.objects.get_or_create(name=values.pop("name"), defaults=values)


@transaction.atomic
def save_policy(*, policy, by, changed: list[str] | None = None):
    """Save a new or edited policy and record who did it."""
    created = policy.pk is None
    policy.full_clean()
    save_keeping_unique(policy, field="name", message=_("A calling policy with this name already exists."))
    record_event(
        actor=by,
        action="policy.created" if created else "policy.updated",
        target=policy,
        summary=policy.name,
        changed=sorted(changed or []),
    )
    return policy


def policy_problems(values: dict) -> dict[str, list[str]]:
    """Rules a policy must satisfy, shared by the form and the API: {field: [messages]}."""
    import holidays
    from django.utils.translation import gettext as _

    from campaigns.models import Disposition

    problems: dict[str, list[str]] = {}

    def add(field, message):
        problems.setdefault(field, []).append(message)

    start, end = values.get("call_window_start"), values.get("call_window_end")
    if start is not None and end is not None and start >= end:
        add("call_window_end", _("The calling window must end after it starts."))
    weekdays = values.get("weekdays")
    if weekdays is not None:
        if not weekdays:
            add("weekdays", _("Allow at least one weekday."))
        elif any(not isinstance(day, int) or day < 0 or day > 6 for day in weekdays):
            add("weekdays", _("Weekdays are numbers 0 (Monday) to 6 (Sunday)."))
    country = values.get("holiday_country")
    if country and country not in holidays.list_supported_countries():
        add("holiday_country", _("No holiday calendar for country code %(code)s.") % {"code": country})
    max_attempts, per_day = values.get("max_attempts"), values.get("max_attempts_per_day")
    if max_attempts is not None and max_attempts < 1:
        add("max_attempts", _("At least one attempt per entry."))
    if per_day is not None and per_day < 1:
        add("max_attempts_per_day", _("At least one attempt per day."))
    if max_attempts and per_day and per_day > max_attempts:
        add("max_attempts_per_day", _("Cannot be more than the attempts per entry."))
    cap_attempts, cap_days = values.get("cap_attempts"), values.get("cap_days")
    if (cap_attempts is None) != (cap_days is None) or cap_attempts == 0 or cap_days == 0:
        add("cap_days", _("Give both the number of attempts and the days of the cap, or neither."))
    if (values.get("min_gap_minutes") or 0) > MAX_DELAY_MINUTES:
        add("min_gap_minutes", _("At most %(max)s minutes (a year).") % {"max": MAX_DELAY_MINUTES})
    for field in ("cap_days", "cooloff_days_after_contact"):
        if (values.get(field) or 0) > MAX_WINDOW_DAYS:
            add(field, _("At most %(max)s days (ten years).") % {"max": MAX_WINDOW_DAYS})
    blackout_dates = values.get("blackout_dates")
    if blackout_dates is not None:
        from .scheduling import blackout_item_problem

        if not isinstance(blackout_dates, list):
            add("blackout_dates", _("Give a list of periods."))
        else:
            for item in blackout_dates:
                problem = blackout_item_problem(item)
                shown = item.get("from", "") if isinstance(item, dict) else str(item)
                if problem == "order":
                    add("blackout_dates", _("%(date)s: the period ends before it starts.") % {"date": shown})
                elif problem == "label":
                    add("blackout_dates", _("%(date)s: the name is longer than 100 characters.") % {"date": shown})
                elif problem:
                    add(
                        "blackout_dates",
                        _("%(date)s: give MM-DD (every year) or YYYY-MM-DD (once), both bounds written the same way.")
                        % {"date": shown[:20]},
                    )
    preset_key = values.get("preset_key")
    if preset_key and preset_key not in PRESETS:
        add("preset_key", _("Unknown preset %(key)s.") % {"key": preset_key})
    delays = values.get("retry_delays")
    if delays is not None:
        if not isinstance(delays, dict):
            add("retry_delays", _("Give minutes per outcome code."))
        else:
            known = set(Disposition.objects.filter(code__in=list(delays)).values_list("code", flat=True))
            for code, minutes in delays.items():
                if code not in known:
                    add("retry_delays", _("Unknown outcome code %(code)s.") % {"code": code})
                elif isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
                    add("retry_delays", _("Minutes for %(code)s must be a whole number, 0 or more.") % {"code": code})
                elif minutes > MAX_DELAY_MINUTES:
                    add(
                        "retry_delays",
                        _("Minutes for %(code)s: at most %(max)s (a year).") % {"code": code, "max": MAX_DELAY_MINUTES},
                    )
    return problems


def disposition_problems(values: dict, *, instance=None) -> dict[str, list[str]]:
    """What another outcome already has, {field: [messages]} (the form and the API): a label
    (in either language, whatever the case) or a key of the default set. Operators pick outcomes
    by name and key, so two outcomes may never look the same."""
    from campaigns.models import Disposition
    from campaigns.services.outcome_sets import key_problem

    others = Disposition.objects.all()
    if instance is not None and instance.pk:
        others = others.exclude(pk=instance.pk)
    problems: dict[str, list[str]] = {}
    for field in ("label", "label_ja"):
        value = (values.get(field) or "").strip()
        taken = others.filter(**{f"{field}__iexact": value}).first() if value else None
        if taken is not None:
            problems[field] = [
                _("The outcome %(code)s is already called %(label)s: choose another name.")
                % {"code": taken.code, "label": value}
            ]
    key = (values.get("default_key") or "").strip().upper()
    if key:
        problem = key_problem(key, code=values.get("code") or getattr(instance, "code", ""))
        taken = others.filter(default_key=key).first()
        if problem:
            problems["default_key"] = [problem]
        elif taken is not None:
            problems["default_key"] = [
                _("The key %(key)s is taken by %(outcome)s.") % {"key": key, "outcome": taken.display_label}
            ]
    return problems


@transaction.atomic
def save_disposition(*, disposition, by, changed: list[str] | None = None):
    """Create or edit an outcome; the default set is seeded, supervisors add their own. A code,
    label or default key another request took meanwhile is a ValidationError on that field (the
    unique constraints decide), not a server error."""
    from campaigns.models import Disposition

    created = disposition.pk is None
    disposition.default_key = (disposition.default_key or "").strip().upper()
    problems = disposition_problems(
        {"label": disposition.label, "label_ja": disposition.label_ja, "default_key": disposition.default_key},
        instance=disposition,
    )
    if problems:
        raise ValidationError(problems)
    try:
        with transaction.atomic():
            disposition.save()
    except IntegrityError:
        # Committed by another request since the check above: now the check sees it.
        problems = disposition_problems(
            {"label": disposition.label, "label_ja": disposition.label_ja, "default_key": disposition.default_key},
            instance=disposition,
        )
        others = Disposition.objects.exclude(pk=disposition.pk) if disposition.pk else Disposition.objects.all()
        if others.filter(code=disposition.code).exists():
            problems["code"] = [_("An outcome with this code already exists.")]
        if not problems:
            raise
        raise ValidationError(problems) from None
    record_event(
        actor=by,
        action="disposition.created" if created else "disposition.updated",
        target=disposition,
        summary=disposition.code,
        changed=sorted(changed or []),
    )
    return disposition
