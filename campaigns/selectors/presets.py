"""The shipped presets side by side, for the policy page: one row per setting, one column per
preset, each value with the law or practice it comes from (campaigns.presets)."""

from django.utils.translation import gettext as _

from ..models import CallingPolicy
from ..presets import POLICY_FIELDS, PRESETS

WEEKDAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _weekdays(days) -> str:
    from campaigns.forms.setup import WEEKDAYS

    names = dict(WEEKDAYS)
    days = sorted(days)
    if days == list(range(7)):
        return _("every day")
    if days == list(range(6)):
        return _("Mon–Sat")
    return " ".join(str(names[day]) for day in days)


def _display(field: str, value) -> str:
    if field == "weekdays":
        return _weekdays(value)
    if field in ("call_window_start", "call_window_end"):
        return f"{value:%H:%M}"
    if field == "blackout_dates":
        return ", ".join(f"{item['from']}–{item['to']} {item.get('label', '')}".strip() for item in value) or "—"
    if field == "retry_delays":
        return ", ".join(f"{code} {minutes}" for code, minutes in value.items()) or "—"
    if field == "refusal_scope":
        return str(dict(CallingPolicy.RefusalScope.choices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if value is None:
        return "—"
    return str(value)


def preset_comparison() -> dict:
    """{"presets": [(key, label, version)], "rows": [{"field", "label", "cells": [{"value", "source"}]}]}."""
    fields = {field.name: field for field in CallingPolicy._meta.get_fields() if hasattr(field, "verbose_name")}
    rows = []
    for name in POLICY_FIELDS:
        if name == "retry_delays":
            continue  # none of the presets sets one
        rows.append(
            {
                "field": name,
                "label": str(fields[name].verbose_name) if name in fields else name,
                "cells": [
                    {
                        "value": _display(name, preset["values"][name]),
                        "source": str(preset["sources"].get(name, "")),
                    }
                    for preset in PRESETS.values()
                ],
            }
        )
    return {
        "presets": [
            (key, preset["label"], preset["version"], preset["description"]) for key, preset in PRESETS.items()
        ],
        "rows": rows,
    }
