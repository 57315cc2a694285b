"""Move the months of call attempts and audit events past their retention (ATTEMPT_RETENTION_MONTHS,
AUDIT_RETENTION_MONTHS) out of the live tables into the `archive` schema
(campaigns.services.history_archive). Run it by hand or from cron once a month."""

from django.core.management.base import BaseCommand

from campaigns.services.history_archive import archive_old_months


class Command(BaseCommand):
    help = "Detach the monthly partitions of attempts and audit events older than their retention into `archive`."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only list the months that would be archived")

    def handle(self, dry_run=False, **options):
        results = archive_old_months(dry_run=dry_run)
        if not results:
            self.stdout.write("Nothing to archive (retention off, or no month older than it).")
        for result in results:
            if dry_run:
                self.stdout.write(f"would archive {result.partition}: {result.rows} rows")
            elif result.archived:
                self.stdout.write(f"archived {result.partition} into archive.{result.partition}: {result.rows} rows")
            else:
                self.stdout.write(f"kept {result.partition}: {result.reason}")
