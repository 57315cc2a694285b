"""The callbacks page (namespace "campaigns")."""

from django.urls import path

from campaigns.views import callbacks as views

urlpatterns = [
    path("callbacks/", views.callback_list, name="callback_list"),
    path("callbacks/reassign/", views.callback_reassign, name="callback_reassign"),
    path("callbacks/<int:pk>/move/", views.callback_move, name="callback_move"),
]
