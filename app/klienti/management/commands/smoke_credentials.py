import json
import sys
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from klienti import smoke


class Command(BaseCommand):
    help = (
        "Print (as JSON) a session and an API token of the smoke-test account, valid for --ttl "
        "seconds; --revoke reads the session key from standard input and ends it and the tokens."
    )

    def add_arguments(self, parser):
        parser.add_argument("--ttl", type=int, default=300, help="Seconds the credentials live.")
        parser.add_argument(
            "--revoke",
            action="store_true",
            help="End the session named on stdin and all smoke tokens.",
        )

    def handle(self, *args, **options):
        if options["revoke"]:
            # The key comes on stdin, not argv, so it never shows in a process list.
            ended = smoke.revoke(sys.stdin.read().strip() or None)
            self.stdout.write(json.dumps({"revoked": ended}))
            return
        try:
            credentials = smoke.issue(timedelta(seconds=options["ttl"]))
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(json.dumps(credentials))
