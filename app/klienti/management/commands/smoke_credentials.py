import json
import sys
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from klienti import smoke


def read_issued(text: str) -> dict:
    """The JSON that issuing printed, as the operator passes it back."""
    try:
        credentials = json.loads(text or "{}")
    except json.JSONDecodeError as error:
        raise CommandError(f"--revoke expects the JSON that issuing printed: {error}") from error
    if not isinstance(credentials, dict):
        raise CommandError("--revoke expects the JSON object that issuing printed")
    return credentials


class Command(BaseCommand):
    help = (
        "Print (as JSON) a session and an API token of the smoke-test account, valid for --ttl "
        "seconds; --revoke reads that JSON from standard input and ends that session and token."
    )

    def add_arguments(self, parser):
        parser.add_argument("--ttl", type=int, default=300, help="Seconds the credentials live.")
        parser.add_argument(
            "--revoke",
            action="store_true",
            help="End the session and token of the JSON on stdin.",
        )

    def handle(self, *args, **options):
        if options["revoke"]:
            # Credentials come on stdin, not argv, so they never show in a process list.
            ended = smoke.revoke(read_issued(sys.stdin.read()))
            self.stdout.write(json.dumps({"revoked": ended}))
            return
        try:
            credentials = smoke.issue(timedelta(seconds=options["ttl"]))
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(json.dumps(credentials))
