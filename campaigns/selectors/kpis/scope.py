"""Who reads which KPIs: a client viewer only their campaigns, an operator only their own figures."""

from dataclasses import dataclass, replace

from .figures import KpiFilter


@dataclass(frozen=True)
class KpiScope:
    """What a user may read: every campaign or some (a client viewer's), every operator or one
    (an operator sees only their own figures), and whether operators may be named at all."""

    campaign_ids: tuple[int, ...] | None = None
    operator_id: int | None = None
    operators_visible: bool = True

    def restrict(self, kpi_filter: KpiFilter) -> KpiFilter:
        campaign_ids = kpi_filter.campaign_ids
        if self.campaign_ids is not None:
            allowed = set(self.campaign_ids)
            campaign_ids = tuple(sorted(allowed if campaign_ids is None else allowed & set(campaign_ids)))
        operator_id = self.operator_id if self.operator_id is not None else kpi_filter.operator_id
        return replace(kpi_filter, campaign_ids=campaign_ids, operator_id=operator_id)


def kpi_scope_for(user) -> KpiScope | None:
    """The user's KPI scope, or None when the user may read no KPI at all."""
    from callcenter import roles

    if roles.can(user, roles.VIEW_DASHBOARD):
        return KpiScope()
    if roles.can(user, roles.VIEW_CLIENT_KPIS):
        ids = tuple(sorted(user.client_campaigns.values_list("id", flat=True)))
        return KpiScope(campaign_ids=ids, operators_visible=False)
    if roles.can(user, roles.USE_CONSOLE):
        return KpiScope(operator_id=user.id)
    return None


def campaigns_in_scope(scope: KpiScope):
    from campaigns.models import Campaign

    campaigns = Campaign.objects.order_by("name")
    if scope.campaign_ids is not None:
        campaigns = campaigns.filter(id__in=scope.campaign_ids)
    return campaigns


def operators_for_kpis():
    """The people who may use the console (the operator filter's choices)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    User = get_user_model()
    console = Q(groups__permissions__codename="use_console") | Q(user_permissions__codename="use_console")
    ids = User.objects.filter(console, is_active=True).values("id")
    return User.objects.filter(id__in=ids).order_by("last_name", "first_name", "username")
