from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from klienti.operational_models import ApiToken


class Command(BaseCommand):
    help = "Issue an API token for a user; the token is printed once and stored only hashed."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for.")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        _token, raw = ApiToken.objects.issue(user, options["name"])
        self.stdout.write(raw)
