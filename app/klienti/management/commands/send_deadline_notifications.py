from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from klienti.notifications import send_deadline_notifications


def parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date must be YYYY-MM-DD, not {value!r}") from None


class Command(BaseCommand):
    help = (
        "E-mail each adviser one digest of open steps due within --days days or overdue. "
        "Runs once per adviser and day, also across several hosts; exit code 1 if a send failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List, send nothing.")
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"Horizon in days (default {settings.NOTIFICATION_DAYS}).",
        )
        parser.add_argument("--date", help="Day to run for, YYYY-MM-DD (default today).")

    def handle(self, *args, **options):
        day = parse_day(options["date"]) if options["date"] else timezone.localdate()
        days = options["days"] if options["days"] is not None else settings.NOTIFICATION_DAYS
        if days < 0:
            raise CommandError("--days must not be negative")
        run = send_deadline_notifications(day, days, dry_run=options["dry_run"])
        prefix = "[dry run] " if run.dry_run else ""
        for username, count in run.planned.items():
            state = (
                "would send"
                if run.dry_run
                else "sent"
                if username in run.sent
                else "FAILED"
                if username in run.failed
                else "already sent today"
            )
            self.stdout.write(f"{prefix}{username}: {count} step(s), {state}")
        self.stdout.write(
            f"{prefix}{day.isoformat()}: {len(run.planned)} adviser(s), sent {len(run.sent)}, "
            f"skipped {len(run.skipped)}, failed {len(run.failed)}"
        )
        if not run.ok:
            raise CommandError(f"{len(run.failed)} digest(s) could not be sent")
