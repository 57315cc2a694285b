"""Demo data for trying the product: users per role, then each app's demo data (its demo.seed()).
Running it twice changes nothing the second time."""

import importlib

from django.core.management.base import BaseCommand
from django.db import transaction

from callcenter.demo import login_lines, seed_users

# Each app may provide demo.seed(users, stdout) and owns what it creates; order follows the layers.
APP_SEEDERS = ["contacts.demo", "scripts.demo", "campaigns.demo"]


class Command(BaseCommand):
    help = "Create demo users (one per role) and realistic Japanese demo data, idempotently."

    def add_arguments(self, parser):
        parser.add_argument("--print-logins", action="store_true", help="only print the demo logins")

    def handle(self, *args, print_logins=False, **options):
        if not print_logins:
            with transaction.atomic():
                users = seed_users()
            for module_name in APP_SEEDERS:
                try:
                    module = importlib.import_module(module_name)
                except ModuleNotFoundError as exc:
                    if exc.name != module_name:
                        raise
                    continue
                module.seed(users=users, stdout=self.stdout)
        self.stdout.write("Demo logins (username / password / role):")
        for line in login_lines():
            self.stdout.write(line)
