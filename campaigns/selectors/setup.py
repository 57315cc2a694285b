"""Read-side queries of campaign setup, shared by pages, the API and exports."""

from django.db.models import Count, Q

from callcenter import roles
from campaigns.models import CallList, CallListEntry, Campaign


def operator_users():
    """Users who may work the console (the only ones a campaign or list can be assigned)."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(Q(groups__permissions__codename="use_console") | Q(user_permissions__codename="use_console"))
        .filter(is_active=True)
        .distinct()
    )


def entries_by_status(call_list) -> dict[str, int]:
    """{status: number of entries}, every status present (0 when none)."""
    counts = {status: 0 for status in CallListEntry.Status.values}
    rows = call_list.entries.order_by().values("status").annotate(n=Count("id"))
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def attempts_so_far(call_list) -> int:
    """Calls logged on the list. Counted from the attempts, not summed from the entries'
    counters: a recycle sets those back to 0, and the calls already made still happened."""
    from campaigns.models import CallAttempt

    return CallAttempt.objects.filter(call_list=call_list).count()


def operators_who_can_work(call_list):
    """Operators dispatch would give this list to: the campaign's, narrowed to the list's own
    operators when it has some, holding its required skill (the scope rule of
    selectors.console.DISPATCH_SCOPE_SQL)."""
    operators = call_list.campaign.operators.all()
    if call_list.operators.exists():
        operators = operators.filter(pk__in=call_list.operators.values("pk"))
    if call_list.required_skill:
        operators = operators.filter(operator_profile__skills__contains=[call_list.required_skill])
    return operators


def campaigns_visible_to(user):
    """Campaigns a user may read: all for supervisors and managers, their own for operators."""
    campaigns = Campaign.objects.select_related("policy", "script")
    if roles.can(user, roles.MANAGE_LISTS, roles.VIEW_DASHBOARD):
        return campaigns
    if roles.can(user, roles.USE_CONSOLE):
        return campaigns.filter(operators=user)
    return campaigns.none()


def campaign_list_rows(*, q: str = "", status: str = "", purpose: str = "", sort: str = ""):
    """Campaigns for the list page with their list and operator counts."""
    campaigns = Campaign.objects.select_related("policy").annotate(
        list_count=Count("call_lists", distinct=True),
        operator_count=Count("operators", distinct=True),
    )
    if q:
        campaigns = campaigns.filter(Q(name__icontains=q) | Q(description__icontains=q))
    if status:
        campaigns = campaigns.filter(status=status)
    if purpose:
        campaigns = campaigns.filter(purpose=purpose)
    allowed = {"name", "status", "purpose", "starts_on", "ends_on", "created_at"}
    if sort.lstrip("-") in allowed:
        return campaigns.order_by(sort, "-id")
    return campaigns.order_by("-created_at", "-id")


def lists_of(campaign):
    return CallList.objects.filter(campaign=campaign).select_related("segment").annotate(entry_count=Count("entries"))


def export_rows(call_list):
    """Entries in rank order with what a supervisor needs in a spreadsheet (streamed)."""
    return (
        call_list.entries.order_by("rank")
        .values_list(
            "rank",
            "customer__external_id",
            "customer__name",
            "phone",
            "status",
            "attempts",
            "last_attempt_at",
            "next_attempt_at",
            "last_disposition__code",
            "callback_at",
        )
        .iterator(chunk_size=5000)
    )
