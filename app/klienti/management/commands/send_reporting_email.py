from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from klienti.management.commands.send_deadline_notifications import parse_day
from klienti.reporting import EXPORTS, send_reporting_email


class Command(BaseCommand):
    help = (
        "E-mail managers the weekly pipeline report with a CSV or XLSX attachment "
        "(once per manager and day); exit code 1 if a send failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List recipients, send nothing.")
        parser.add_argument("--format", choices=sorted(EXPORTS), default=settings.REPORTING_FORMAT)
        parser.add_argument("--date", help="Report day, YYYY-MM-DD (default today).")

    def handle(self, *args, **options):
        day = parse_day(options["date"]) if options["date"] else timezone.localdate()
        run = send_reporting_email(day, options["format"], dry_run=options["dry_run"])
        prefix = "[dry run] " if run.dry_run else ""
        for username in run.recipients:
            self.stdout.write(f"{prefix}{username}")
        self.stdout.write(
            f"{prefix}{len(run.recipients)} manager(s), sent {len(run.sent)}, "
            f"skipped {len(run.skipped)}, failed {len(run.failed)}"
        )
        if run.failed:
            raise CommandError(f"{len(run.failed)} report(s) could not be sent")
