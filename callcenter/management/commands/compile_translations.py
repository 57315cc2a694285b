from django.core.management.base import BaseCommand

from callcenter.i18n import compile_all


class Command(BaseCommand):
    help = "Compile the .po fragments under locale/ into django.mo files (pure Python, no gettext)."

    def handle(self, *args, **options):
        for path in compile_all():
            self.stdout.write(f"compiled {path}")
