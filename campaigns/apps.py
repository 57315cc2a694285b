from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self):
        from callcenter import call_outcomes, held_calls

        from . import signals  # noqa: F401 - connects the receivers
        from .dispositions import labels, reaction_labels
        from .selectors.console import held_call

        # contacts and scripts ask callcenter for what campaigns owns, instead of importing it.
        held_calls.register(held_call)
        call_outcomes.register(dispositions=labels, reactions=reaction_labels)
