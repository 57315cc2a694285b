"""Campaign setup routes: `urlpatterns` for pages (namespace "campaigns"), `api_urlpatterns`
for /api/v1/."""

from django.urls import path

from campaigns.api import compliance_setup as compliance_api
from campaigns.api import script_variants as variant_api
from campaigns.api import setup as api
from campaigns.views import compliance_setup as compliance_views
from campaigns.views import list_entries as entry_views
from campaigns.views import script_variants as variant_views
from campaigns.views import setup as views
from campaigns.views import setup_lists as list_views

urlpatterns = [
    path("manage/", views.campaign_list, name="campaign_list"),
    path("manage/new/", views.campaign_create, name="campaign_create"),
    path("manage/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("manage/<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("manage/<int:pk>/status/<slug:action>/", views.campaign_transition, name="campaign_transition"),
    path("manage/<int:pk>/script-variants/", variant_views.variant_add, name="script_variant_add"),
    path(
        "manage/<int:pk>/script-variants/<int:variant_pk>/move/<str:direction>/",
        variant_views.variant_move,
        name="script_variant_move",
    ),
    path(
        "manage/<int:pk>/script-variants/<int:variant_pk>/delete/",
        variant_views.variant_delete,
        name="script_variant_delete",
    ),
    path("manage/<int:pk>/prenotices/", views.prenotice_list, name="prenotice_list"),
    path("manage/<int:pk>/outcomes/", views.campaign_outcomes, name="campaign_outcomes"),
    path("manage/<int:pk>/debts/", compliance_views.debt_list, name="debt_list"),
    path("debts/<int:pk>/promise/<slug:status>/", compliance_views.debt_promise, name="debt_promise"),
    path("manage/<int:pk>/disclosure/", compliance_views.disclosure_check, name="disclosure_check"),
    path("manage/<int:pk>/lists/new/", list_views.list_create, name="list_create"),
    path("lists/<int:pk>/", list_views.list_detail, name="list_detail"),
    path("lists/<int:pk>/progress/", list_views.list_progress, name="list_progress"),
    path("lists/<int:pk>/status/<slug:action>/", list_views.list_transition, name="list_transition"),
    path("lists/<int:pk>/recycle/", list_views.list_recycle, name="list_recycle"),
    path("lists/<int:pk>/entries/add/", entry_views.list_entry_add, name="list_entry_add"),
    path("lists/<int:pk>/entries/<int:entry_id>/cancel/", entry_views.list_entry_cancel, name="list_entry_cancel"),
    path("lists/<int:pk>/export.csv", list_views.list_export, name="list_export"),
    path("policies/", views.policy_list, name="policy_list"),
    path("policies/new/", views.policy_create, name="policy_create"),
    path("policies/<int:pk>/edit/", views.policy_edit, name="policy_edit"),
    path("dispositions/", views.disposition_list, name="disposition_list"),
    path("dispositions/new/", views.disposition_form, name="disposition_create"),
    path("dispositions/<int:pk>/edit/", views.disposition_form, name="disposition_edit"),
    path("operators/", views.operator_list, name="operator_list"),
]

api_urlpatterns = [
    path("policies/", api.PolicyList.as_view(), name="api_policy_list"),
    path("policies/presets/", compliance_api.PresetList.as_view(), name="api_policy_presets"),
    path("campaigns/<int:pk>/debts/", compliance_api.CampaignDebts.as_view(), name="api_campaign_debts"),
    path("debts/<int:pk>/promise/", compliance_api.DebtPromise.as_view(), name="api_debt_promise"),
    path("campaigns/<int:pk>/disclosure/", compliance_api.CampaignDisclosure.as_view(), name="api_campaign_disclosure"),
    path("policies/<int:pk>/", api.PolicyDetail.as_view(), name="api_policy_detail"),
    path("dispositions/", api.DispositionList.as_view(), name="api_disposition_list"),
    path("campaigns/", api.CampaignList.as_view(), name="api_campaign_list"),
    path("campaigns/<int:pk>/", api.CampaignDetail.as_view(), name="api_campaign_detail"),
    path(
        "campaigns/<int:pk>/activate/",
        api.CampaignTransition.as_view(action_name="activate"),
        name="api_campaign_activate",
    ),
    path("campaigns/<int:pk>/readiness/", api.CampaignReadiness.as_view(), name="api_campaign_readiness"),
    path("campaigns/<int:pk>/pause/", api.CampaignTransition.as_view(action_name="pause"), name="api_campaign_pause"),
    path(
        "campaigns/<int:pk>/finish/", api.CampaignTransition.as_view(action_name="finish"), name="api_campaign_finish"
    ),
    path("campaigns/<int:pk>/lists/", api.CampaignCallLists.as_view(), name="api_campaign_lists"),
    path("campaigns/<int:pk>/outcomes/", api.CampaignOutcomes.as_view(), name="api_campaign_outcomes"),
    path(
        "campaigns/<int:pk>/outcomes/<slug:code>/",
        api.CampaignOutcomeDetail.as_view(),
        name="api_campaign_outcome_detail",
    ),
    path("campaigns/<int:pk>/script-variants/", variant_api.ScriptVariantList.as_view(), name="api_script_variants"),
    path(
        "campaigns/<int:pk>/script-variants/<int:variant_pk>/",
        variant_api.ScriptVariantDetail.as_view(),
        name="api_script_variant_detail",
    ),
    path("lists/<int:pk>/", api.CallListDetail.as_view(), name="api_list_detail"),
    path("lists/<int:pk>/entries/", api.CallListEntries.as_view(), name="api_list_entries"),
    path("lists/<int:pk>/recycle/", api.CallListRecycle.as_view(), name="api_list_recycle"),
    path("lists/<int:pk>/pause/", api.CallListTransition.as_view(action_name="pause"), name="api_list_pause"),
    path("lists/<int:pk>/resume/", api.CallListTransition.as_view(action_name="resume"), name="api_list_resume"),
    path("lists/<int:pk>/close/", api.CallListTransition.as_view(action_name="close"), name="api_list_close"),
]
