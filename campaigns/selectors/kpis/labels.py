"""Row labels of the KPI tables: campaign, list, segment and operator names, days, weekdays, hours."""

from .figures import KpiRow


def person_name(user) -> str:
    from callcenter.templatetags.callcenter_tags import display_name

    return display_name(user)


def label_rows(tables: dict[str, list[KpiRow]]) -> dict[str, list[KpiRow]]:
    """Fill in each row's label (campaign, list, segment and operator names; weekdays; hours)."""
    from django.contrib.auth import get_user_model
    from django.utils.dates import WEEKDAYS_ABBR
    from django.utils.formats import date_format
    from django.utils.translation import gettext as _

    from campaigns.models import CallList, Campaign
    from contacts.models import Segment

    def ids(grouping):
        return {row.key for row in tables.get(grouping, []) if row.key is not None}

    names = {
        "campaign": dict(Campaign.objects.filter(id__in=ids("campaign")).values_list("id", "name")),
        "list": dict(CallList.objects.filter(id__in=ids("list")).values_list("id", "name")),
        "segment": dict(
            Segment.objects.filter(id__in={k[0] for k in ids("segment_weekday_hour")} | ids("segment")).values_list(
                "id", "name"
            )
        ),
        "operator": {u.id: person_name(u) for u in get_user_model().objects.filter(id__in=ids("operator"))},
    }
    empty = {
        "campaign": "—",
        "list": _("No list"),
        "segment": _("No segment"),
        "operator": _("No operator"),
    }
    for grouping, rows in tables.items():
        for row in rows:
            if grouping in names:
                row.label = names[grouping].get(row.key, empty[grouping]) if row.key is not None else empty[grouping]
            elif grouping == "segment_weekday_hour":  # the segment's name (weekday and hour are in the key)
                row.label = names["segment"].get(row.key[0], empty["segment"])
            elif grouping == "day":
                row.label = f"{date_format(row.key, 'SHORT_DATE_FORMAT')} ({WEEKDAYS_ABBR[row.key.weekday()]})"
            elif grouping == "hour":
                row.label = f"{row.key:02d}:00"
            elif grouping == "weekday":
                row.label = str(WEEKDAYS_ABBR[row.key])
            elif grouping == "none":
                row.label = _("Total")
    return tables
