"""Reset a user's two-factor sign-in from the server, e.g. for the only superuser, who cannot reach
the admin without it. Audited like the admin's action."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from callcenter.signin import two_factor


class Command(BaseCommand):
    help = "Remove a user's authenticator and recovery codes: they set two-factor sign-in up again."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username}")
        two_factor.reset(user, by=None, via="manage.py")
        self.stdout.write(f"Two-factor sign-in of {username} reset: they set it up at their next sign-in.")
