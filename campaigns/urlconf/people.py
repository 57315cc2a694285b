"""People's accounts: `urlpatterns` for the users page (namespace "campaigns"), `api_urlpatterns`
for /api/v1/users/."""

from django.urls import path

from campaigns.api import people as api
from campaigns.views import people as views

urlpatterns = [
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/import/", views.user_import, name="user_import"),
    path("users/<int:pk>/", views.user_edit, name="user_edit"),
    path("users/<int:pk>/password/", views.user_reset_password, name="user_reset_password"),
    path("users/<int:pk>/active/", views.user_set_active, name="user_set_active"),
]

api_urlpatterns = [
    path("users/", api.UserList.as_view(), name="api_user_list"),
    path("users/<int:pk>/", api.UserDetail.as_view(), name="api_user_detail"),
]
