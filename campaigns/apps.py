from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self):
        from callcenter import held_calls

        from . import signals  # noqa: F401 - connects the receivers
        from .selectors.console import held_call

        held_calls.register(held_call)
