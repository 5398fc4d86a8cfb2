from django.core import checks
from django.db import connection

from .encryption import check_canary
from .models import EncryptionCanary


def encryption_canary(app_configs=None, databases=None, **kwargs):
    if not databases or "default" not in databases:
        return []
    # Before the first migration there is nothing to decrypt yet; `migrate`
    # runs this check too and must be able to create the tables.
    if EncryptionCanary._meta.db_table not in connection.introspection.table_names():
        return []
    if not EncryptionCanary.objects.exists():
        return []
    ok, reason = check_canary()
    if ok:
        return []
    return [checks.Error(f"Encryption canary check failed: {reason}", id="klienti.E001")]


def readiness() -> dict:
    """The app's own part of a readiness probe (for /readyz): the field keys
    decrypt the canary. Returns {"encryption": {"ok": bool, "detail": str}}."""
    ok, reason = check_canary()
    return {"encryption": {"ok": ok, "detail": reason}}
