"""Callbacks and single list entries: `urlpatterns` for the callbacks page (namespace
"campaigns"), `api_urlpatterns` for /api/v1/."""

from django.urls import path

from campaigns.api import callbacks as api
from campaigns.views import callbacks as views

urlpatterns = [
    path("callbacks/", views.callback_list, name="callback_list"),
    path("callbacks/reassign/", views.callback_reassign, name="callback_reassign"),
    path("callbacks/<int:pk>/move/", views.callback_move, name="callback_move"),
]

api_urlpatterns = [
    path("callbacks/", api.Callbacks.as_view(), name="api_callbacks"),
    path("callbacks/reassign/", api.CallbackReassign.as_view(), name="api_callback_reassign"),
    path("callbacks/<int:pk>/move/", api.CallbackMove.as_view(), name="api_callback_move"),
    path("lists/<int:pk>/entries/add/", api.CallListEntryAdd.as_view(), name="api_list_entry_add"),
    path(
        "lists/<int:pk>/entries/<int:entry_id>/cancel/",
        api.CallListEntryCancel.as_view(),
        name="api_list_entry_cancel",
    ),
]
