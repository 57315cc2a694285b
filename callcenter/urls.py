from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import audit_views, views
from .signin import views as signin_views

urlpatterns = [
    path("", views.home, name="home"),
    path("home/none/", views.no_role, name="no_role"),
    path("audit/", audit_views.audit_list, name="audit_list"),
    path("audit/export.csv", audit_views.audit_export, name="audit_export"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    path("accounts/login/", signin_views.SignInView.as_view(), name="login"),
    path("accounts/two-factor/verify/", signin_views.two_factor_verify, name="two_factor_verify"),
    path("accounts/two-factor/", signin_views.two_factor_setup, name="two_factor_setup"),
    path("accounts/tokens/", signin_views.api_tokens, name="api_tokens"),
    path("accounts/tokens/<int:pk>/revoke/", signin_views.api_token_revoke, name="api_token_revoke"),
    path("accounts/sign-out-everywhere/", signin_views.sign_out_everywhere, name="sign_out_everywhere"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", signin_views.OwnPasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("callcenter.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view serves its start-up script as a file: the Content-Security-Policy allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path("contacts/", include("contacts.urls")),
    path("scripts/", include("scripts.urls")),
    path("campaigns/", include("campaigns.urls")),
]

handler403 = "callcenter.views.permission_denied"
