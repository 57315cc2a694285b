"""Issue a long-lived API token to an integration account (a system, not a person), creating the
account first with --create. The token is printed once; only its digest is kept."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from callcenter.roles import ROLE_GROUPS
from callcenter.signin import tokens
from callcenter.signin.integrations import create_integration_account


class Command(BaseCommand):
    help = "Issue a long-lived API token to an integration account (--create makes the account)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="what the token is for, shown in the token lists")
        parser.add_argument("--days", type=int, default=None, help="lifetime (default API_INTEGRATION_TOKEN_DAYS)")
        parser.add_argument("--create", action="store_true", help="create the integration account (a new user)")
        parser.add_argument(
            "--role", action="append", default=[], choices=sorted(ROLE_GROUPS), help="with --create; repeatable"
        )
        parser.add_argument("--note", default="", help="with --create: what the integration is")

    def handle(self, username, name, days, create, role, note, **options):
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1")
        if create:
            if get_user_model().objects.filter(username=username).exists():
                raise CommandError(f"{username} exists: an integration account is a new user of its own")
            groups = [Group.objects.get(name=ROLE_GROUPS[slug]) for slug in role]
            account = create_integration_account(username, groups=groups, note=note)
            user = account.user
        else:
            user = get_user_model().objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"no user {username} (use --create to make the integration account)")
        try:
            token, secret = tokens.issue_integration_token(user, name=name or "manage.py", created_by=None, days=days)
        except tokens.NotAnIntegrationAccount as error:
            raise CommandError(str(error)) from None
        self.stderr.write(f"Token for {username}, expires {token.expires_at:%Y-%m-%d %H:%M %Z}; shown only now:")
        self.stdout.write(secret)
