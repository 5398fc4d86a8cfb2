from django.conf import settings
from django.core.management.base import BaseCommand

from klienti import gdpr


class Command(BaseCommand):
    help = (
        "Erase (anonymise) closed cases whose retention period "
        "(HYPOTEKY_GDPR_RETENTION_DAYS) is over. --dry-run lists them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, **options):
        references = gdpr.purge(dry_run=options["dry_run"])
        verb = "would erase" if options["dry_run"] else "erased"
        for reference in references:
            self.stdout.write(f"{verb} {reference}")
        self.stdout.write(
            f"{verb} {len(references)} case(s) closed more than "
            f"{settings.GDPR_RETENTION_DAYS} days ago"
        )
