import json

from django.core.management.base import BaseCommand

from klienti.security_audit import run_audit

# The result is one line that starts with this key: the app's JSON logs share stdout.
RESULT_KEY = "hypoteky_audit"


class Command(BaseCommand):
    help = (
        "The app's security audit checks (encryption at rest, the canary, no personal data "
        "in the audit trail and notification log, GDPR export and erasure): one JSON line "
        f'{{"{RESULT_KEY}": [checks]}} on stdout; exit code 0 whatever the findings.'
    )

    def handle(self, *args, **options):
        self.stdout.write(json.dumps({RESULT_KEY: run_audit()}, ensure_ascii=False))
