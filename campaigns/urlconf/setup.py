"""Campaign setup routes: `urlpatterns` for pages (namespace "campaigns"), `api_urlpatterns`
for /api/v1/."""
from django.urls import path

from campaigns.api import setup as api

urlpatterns: list = []

api_urlpatterns = [
    path("policies/", api.PolicyList.as_view(), name="api_policy_list"),
    path("policies/<int:pk>/", api.PolicyDetail.as_view(), name="api_policy_detail"),
    path("dispositions/", api.DispositionList.as_view(), name="api_disposition_list"),
    path("campaigns/", api.CampaignList.as_view(), name="api_campaign_list"),
    path("campaigns/<int:pk>/", api.CampaignDetail.as_view(), name="api_campaign_detail"),
    path("campaigns/<int:pk>/activate/", api.CampaignTransition.as_view(action_name="activate"), name="api_campaign_activate"),
    path("campaigns/<int:pk>/pause/", api.CampaignTransition.as_view(action_name="pause"), name="api_campaign_pause"),
    path("campaigns/<int:pk>/finish/", api.CampaignTransition.as_view(action_name="finish"), name="api_campaign_finish"),
    path("campaigns/<int:pk>/lists/", api.CampaignCallLists.as_view(), name="api_campaign_lists"),
    path("lists/<int:pk>/", api.CallListDetail.as_view(), name="api_list_detail"),
    path("lists/<int:pk>/entries/", api.CallListEntries.as_view(), name="api_list_entries"),
    path("lists/<int:pk>/recycle/", api.CallListRecycle.as_view(), name="api_list_recycle"),
    path("lists/<int:pk>/pause/", api.CallListTransition.as_view(action_name="pause"), name="api_list_pause"),
    path("lists/<int:pk>/resume/", api.CallListTransition.as_view(action_name="resume"), name="api_list_resume"),
    path("lists/<int:pk>/close/", api.CallListTransition.as_view(action_name="close"), name="api_list_close"),
]
