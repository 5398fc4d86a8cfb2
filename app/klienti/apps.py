from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class KlientiConfig(AppConfig):
    name = "klienti"
    verbose_name = _("Clients and cases")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks as klienti_checks

        # Tagged "database": runs with `manage.py check --database default`,
        # never on plain `check`, which must work without a database.
        checks.register(klienti_checks.encryption_canary, checks.Tags.database)
        # Connects the e-mail receivers of the step-completed and rejected events.
        from . import notifications  # noqa: F401
