from django.apps import AppConfig
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


class CallcenterConfig(AppConfig):
    name = "callcenter"
    verbose_name = _("Callcenter")

    def ready(self):
        from . import (
            people,  # noqa: F401 (connects the password-change-due flag to user_logged_in)
            signals,  # noqa: F401 - connects the audit receivers
        )
        from .signin import sessions  # noqa: F401 (connects the sign-in timestamp to user_logged_in)

        checks.register(check_two_factor_roles, checks.Tags.security)


def check_two_factor_roles(app_configs, **kwargs):
    """A misspelt role in TWO_FACTOR_REQUIRED_ROLES would switch two-factor sign-in off for it."""
    from .signin.two_factor import required_role_slugs

    try:
        required_role_slugs()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="callcenter.E001")]
    return []
