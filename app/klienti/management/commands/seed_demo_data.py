import secrets

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand

from klienti import demo


class Command(BaseCommand):
    help = "Create demo users (manazer, poradce01..) and N realistic Czech demo cases."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=100)
        parser.add_argument("--advisers", type=int, default=10)
        parser.add_argument("--seed", type=int, default=42, help="random seed (repeatable data)")
        parser.add_argument(
            "--password",
            help="password of the demo users (default: a random one, printed once)",
        )

    def handle(self, *args, cases, advisers, seed, password, **options):
        chosen = password or secrets.token_urlsafe(12)
        # One hash for all demo users: hashing is deliberately slow.
        result = demo.seed(cases, make_password(chosen), advisers=max(1, advisers), seed_value=seed)
        self.stdout.write(
            f"Created {result['cases']} cases for {result['advisers']} advisers; "
            f"manager login: {result['manager']}"
        )
        if not password:
            self.stdout.write(f"Demo users' password: {chosen}")
