from django.conf import settings
from django.core.management.base import BaseCommand

from callcenter.i18n import untranslated


class Command(BaseCommand):
    help = "List strings marked for translation that have no Japanese yet (with where they are)."

    def handle(self, *args, **options):
        missing = untranslated(settings.BASE_DIR)
        for msgid, where in sorted(missing.items(), key=lambda kv: kv[1]):
            self.stdout.write(f"{where}: {msgid!r}")
        self.stdout.write(f"{len(missing)} untranslated")
