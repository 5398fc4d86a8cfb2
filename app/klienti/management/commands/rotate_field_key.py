from django.core.management.base import BaseCommand

from klienti.encryption import assert_canary, rotate_field_key


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value under the first key of "
        "HYPOTEKY_FIELD_ENCRYPTION_KEYS. Put the new key first and keep the old "
        "ones after it; safe to interrupt and run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        def progress(label, last_id, rotated, current):
            self.stdout.write(
                f"{label}: up to id {last_id}, {rotated} re-encrypted, {current} already current"
            )

        result = rotate_field_key(batch_size=batch_size, progress=progress)
        assert_canary()
        for label in result.rotated:
            self.stdout.write(
                f"{label}: {result.rotated[label]} rows re-encrypted, "
                f"{result.current[label]} already under the newest key"
            )
        self.stdout.write(self.style.SUCCESS(f"Done: {result.total_rotated} rows re-encrypted."))
