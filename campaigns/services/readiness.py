"""Is a campaign ready to go live? One function per check, each answering with a ReadinessItem;
`checklist` runs them all for the campaign page and the API, and activation refuses while a
blocking item fails (warnings are shown, never block).

Blocking: a calling policy; a built call list holding someone to call; operators who can receive
its calls (the list's own operators and required skill); a published talk script; an end date not
passed; the mandatory disclosure in every script when the policy requires it. Warnings: costs
left at zero (the cost per call would read ¥0) and a day without calls today."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from campaigns.models import CallList, CallListEntry, Campaign
from campaigns.selectors.setup import operators_who_can_work
from campaigns.services import scheduling

BUILT = [CallList.Status.READY, CallList.Status.PAUSED]
OPEN_ENTRIES = [CallListEntry.Status.PENDING, CallListEntry.Status.CALLBACK]


@dataclass(frozen=True)
class ReadinessItem:
    code: str
    label: str  # what is checked, in the user's language
    ok: bool
    blocking: bool  # a failing blocking item refuses activation; a failing warning does not
    detail: str = ""  # what is wrong (or what was found), in the user's language
    fix_url: str = ""  # where to put it right


def check_policy(campaign: Campaign, today: dt.date) -> ReadinessItem:
    return ReadinessItem(
        "policy",
        _("Calling policy"),
        ok=campaign.policy_id is not None,
        blocking=True,
        detail=str(campaign.policy) if campaign.policy_id else _("Choose a calling policy."),
        fix_url=reverse("campaigns:campaign_edit", args=[campaign.pk]),
    )


def check_call_list(campaign: Campaign, today: dt.date) -> ReadinessItem:
    built = campaign.call_lists.filter(status__in=BUILT)
    waiting = CallListEntry.objects.filter(call_list__in=built, status__in=OPEN_ENTRIES).count()
    if not built.exists():
        detail = _("Build at least one call list.")
    elif not waiting:
        detail = _("The call lists are built but hold nobody to call: build a list from another segment.")
    else:
        detail = _("%(count)s customers to call.") % {"count": f"{waiting:,}"}
    return ReadinessItem(
        "call_list",
        _("Call list built and not empty"),
        ok=waiting > 0,
        blocking=True,
        detail=detail,
        fix_url=reverse("campaigns:list_create", args=[campaign.pk]),
    )


def check_operators(campaign: Campaign, today: dt.date) -> ReadinessItem:
    fix_url = reverse("campaigns:campaign_edit", args=[campaign.pk])
    if not campaign.operators.exists():
        return ReadinessItem(
            "operators",
            _("Operators"),
            ok=False,
            blocking=True,
            detail=_("Assign at least one operator."),
            fix_url=fix_url,
        )
    unstaffed = [
        call_list.name
        for call_list in campaign.call_lists.filter(status__in=BUILT).filter(
            Exists(CallListEntry.objects.filter(call_list=OuterRef("pk"), status__in=OPEN_ENTRIES))
        )
        if not operators_who_can_work(call_list).exists()
    ]
    if unstaffed:
        return ReadinessItem(
            "operators",
            _("Operators with the skill each list needs"),
            ok=False,
            blocking=True,
            detail=_("No operator of the campaign can take the calls of: %(lists)s (its operators or required skill).")
            % {"lists": "、".join(unstaffed)},
            fix_url=reverse("campaigns:operator_list"),
        )
    return ReadinessItem(
        "operators",
        _("Operators with the skill each list needs"),
        ok=True,
        blocking=True,
        detail=_("%(count)s operators.") % {"count": campaign.operators.count()},
        fix_url=fix_url,
    )


def _published(campaign: Campaign):
    return campaign.script.latest_published() if campaign.script_id else None


def check_script(campaign: Campaign, today: dt.date) -> ReadinessItem:
    version = _published(campaign)
    if campaign.script_id is None:
        detail = _("Choose a talk script.")
    elif version is None:
        detail = _("The talk script %(script)s has no published version: publish it.") % {"script": campaign.script}
    else:
        detail = _("%(script)s, version %(number)s.") % {"script": campaign.script, "number": version.number}
    return ReadinessItem(
        "script",
        _("Talk script published"),
        ok=version is not None,
        blocking=True,
        detail=detail,
        fix_url=reverse("scripts:script_detail", args=[campaign.script_id])
        if campaign.script_id
        else reverse("campaigns:campaign_edit", args=[campaign.pk]),
    )


def check_disclosure(campaign: Campaign, today: dt.date) -> ReadinessItem | None:
    """The mandatory disclosure (特定商取引法 Art. 16) when the policy requires one: every script the
    campaign can show opens with a disclosure step covering the company, the caller, the product
    and the sales purpose (campaigns.services.disclosure, the one check). Blocking."""
    from campaigns.services.disclosure import disclosure_problems

    if campaign.policy is None or not campaign.policy.disclosure_required:
        return None
    problems = disclosure_problems(campaign)
    return ReadinessItem(
        "disclosure",
        _("Mandatory disclosure in every script"),
        ok=not problems,
        blocking=True,
        detail=" ".join(problems) if problems else _("Every script opens with the complete disclosure."),
        fix_url=reverse("campaigns:disclosure_check", args=[campaign.pk]),
    )


def check_costs(campaign: Campaign, today: dt.date) -> ReadinessItem:
    missing = not campaign.cost_per_hour and not campaign.cost_per_minute and not campaign.fixed_cost
    return ReadinessItem(
        "costs",
        _("Costs"),
        ok=not missing,
        blocking=False,
        detail=_("All costs are zero: the cost per call will read ¥0.") if missing else "",
        fix_url=reverse("campaigns:campaign_edit", args=[campaign.pk]),
    )


def check_calling_hours_today(campaign: Campaign, today: dt.date) -> ReadinessItem | None:
    if campaign.policy is None:
        return None
    policy = campaign.policy
    reason = scheduling.closed_day_reason(policy, today, get_language() or "")
    if reason is None and policy.call_window_start != policy.call_window_end:
        window = f"{policy.call_window_start:%H:%M}–{policy.call_window_end:%H:%M}"
        detail = _("Open today %(window)s (customers' local time).") % {"window": window}
    else:
        detail = reason or _("Open around the clock today.")
    return ReadinessItem(
        "calling_hours",
        _("Calling hours open today"),
        ok=reason is None,
        blocking=False,
        detail=detail,
        fix_url=reverse("campaigns:policy_edit", args=[policy.pk]),
    )


def check_end_date(campaign: Campaign, today: dt.date) -> ReadinessItem | None:
    if not campaign.ends_on:
        return None
    return ReadinessItem(
        "end_date",
        _("End date"),
        ok=campaign.ends_on >= today,
        blocking=True,
        detail=_("The end date has passed.") if campaign.ends_on < today else f"{campaign.ends_on:%Y-%m-%d}",
        fix_url=reverse("campaigns:campaign_edit", args=[campaign.pk]),
    )


CHECKS = [
    check_policy,
    check_call_list,
    check_operators,
    check_script,
    check_disclosure,
    check_costs,
    check_calling_hours_today,
    check_end_date,
]


def checklist(campaign: Campaign, *, today: dt.date | None = None) -> list[ReadinessItem]:
    today = today or timezone.localdate()
    return [item for check in CHECKS if (item := check(campaign, today)) is not None]


def blocking_problems(campaign: Campaign, *, today: dt.date | None = None) -> list[str]:
    """What keeps the campaign from going live, as sentences (empty when it can)."""
    return [item.detail for item in checklist(campaign, today=today) if item.blocking and not item.ok]
