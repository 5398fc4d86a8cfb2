from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from klienti import gdpr


class Command(BaseCommand):
    help = (
        "After restoring a backup: erase again every case in the erasure log. Reads the "
        "log file (HYPOTEKY_GDPR_ERASURE_LOG or --file), or with --from-database the table."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", help="JSON-lines erasure log to replay.")
        parser.add_argument("--from-database", action="store_true")

    def handle(self, *args, **options):
        if options["from_database"]:
            entries = gdpr.entries_from_database()
        else:
            path = options["file"] or settings.GDPR_ERASURE_LOG
            if not path:
                raise CommandError("no erasure log: pass --file or set HYPOTEKY_GDPR_ERASURE_LOG")
            try:
                entries = gdpr.read_log_file(path)
            except (OSError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
        result = gdpr.replay_erasures(entries)
        for reference in result.erased:
            self.stdout.write(f"erased again {reference}")
        self.stdout.write(
            f"{len(entries)} logged erasure(s): {len(result.erased)} replayed, "
            f"{result.already_erased} already erased, {result.missing} not in the database"
        )
