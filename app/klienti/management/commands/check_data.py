from django.core.management.base import BaseCommand, CommandError

from klienti.integrity import format_report, run_checks


class Command(BaseCommand):
    help = (
        "Check data integrity after a migration: step numbers, 15 steps per case, "
        "ciphertext in every encrypted column, blind indexes. Exit code 1 on failure."
    )

    def handle(self, *args, **options):
        results = run_checks()
        report = format_report(results)
        if all(result.ok for result in results):
            self.stdout.write(report)
            return
        self.stderr.write(report)
        raise CommandError("data check failed")
