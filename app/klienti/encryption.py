"""Field-key health: the canary check and re-encryption under the newest key."""

import logging
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection, transaction

logger = logging.getLogger(__name__)

CANARY_PLAINTEXT = "hypoteky-encryption-canary-v1"


def _fernets() -> list[Fernet]:
    return [Fernet(key) for key in settings.FIELD_ENCRYPTION_KEY]


def _crypter() -> MultiFernet:
    return MultiFernet(_fernets())


def _canary_table() -> str:
    from .models import EncryptionCanary

    return connection.ops.quote_name(EncryptionCanary._meta.db_table)


def ensure_canary() -> None:
    """Create the canary row if there is none (first migration, empty database)."""
    from .models import EncryptionCanary

    if not EncryptionCanary.objects.exists():
        EncryptionCanary.objects.create(value=CANARY_PLAINTEXT)


def check_canary() -> tuple[bool, str]:
    """(ok, reason). Reads the raw column: the field class would silently hand
    back ciphertext when the key is wrong."""
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT value FROM {_canary_table()} ORDER BY id LIMIT 1")  # noqa: S608
            row = cursor.fetchone()
    except DatabaseError as exc:
        return False, f"canary unreadable: {type(exc).__name__} (are migrations applied?)"
    if row is None:
        return False, "no canary row (run migrations)"
    try:
        plaintext = _crypter().decrypt(row[0].encode()).decode()
    except InvalidToken:
        return False, "HYPOTEKY_FIELD_ENCRYPTION_KEYS cannot decrypt the data (wrong key?)"
    if plaintext != CANARY_PLAINTEXT:
        return False, "canary decrypts to an unexpected value"
    return True, "ok"


def assert_canary() -> None:
    ok, reason = check_canary()
    if not ok:
        logger.critical("encryption canary check failed: %s", reason)
        raise ImproperlyConfigured(f"Encryption canary check failed: {reason}")


@dataclass
class RotationResult:
    rotated: dict[str, int] = field(default_factory=dict)  # rows re-encrypted
    current: dict[str, int] = field(default_factory=dict)  # rows already under the newest key
    last_id: dict[str, int] = field(default_factory=dict)

    @property
    def total_rotated(self) -> int:
        return sum(self.rotated.values())


def _encrypted_models():
    """Every model of the app with encrypted fields, so new ones are rotated too."""
    from django.apps import apps

    from .models import encrypted_field_names

    models = apps.get_app_config("klienti").get_models()
    return [(m, names) for m in models if (names := encrypted_field_names(m))]


def rotate_field_key(batch_size: int = 500, progress=None) -> RotationResult:
    """Re-encrypt every encrypted value under the first (newest) key.

    Works in primary-key order, one transaction per batch; values that the
    newest key already decrypts are left alone, so an interrupted run can
    simply be started again and continues where it stopped."""
    primary = _fernets()[0]
    crypter = _crypter()
    result = RotationResult()
    qn = connection.ops.quote_name
    for model, names in _encrypted_models():
        label = model._meta.label
        table = qn(model._meta.db_table)
        columns = [model._meta.get_field(n).column for n in names]
        select_cols = ", ".join(qn(c) for c in columns)
        rotated = current = 0
        last_id = 0
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT id, {select_cols} FROM {table} WHERE id > %s "  # noqa: S608
                    f"ORDER BY id LIMIT %s FOR UPDATE",
                    [last_id, batch_size],
                )
                rows = cursor.fetchall()
                for row in rows:
                    pk, values = row[0], row[1:]
                    changes = {}
                    for column, value in zip(columns, values, strict=True):
                        if value is None:
                            continue
                        token = value.encode()
                        try:
                            primary.decrypt(token)
                            continue
                        except InvalidToken:
                            pass
                        try:
                            changes[column] = crypter.rotate(token).decode()
                        except InvalidToken:
                            raise ImproperlyConfigured(
                                f"{label} id={pk} column {column}: no configured key "
                                f"decrypts it; add the old key to the key list"
                            ) from None
                    if changes:
                        assignments = ", ".join(f"{qn(c)} = %s" for c in changes)
                        cursor.execute(
                            f"UPDATE {table} SET {assignments} WHERE id = %s",  # noqa: S608
                            [*changes.values(), pk],
                        )
                        rotated += 1
                    else:
                        current += 1
            if not rows:
                break
            last_id = rows[-1][0]
            if progress:
                progress(label, last_id, rotated, current)
        result.rotated[label] = rotated
        result.current[label] = current
        result.last_id[label] = last_id
        logger.info(
            "key rotation finished for %s", label, extra={"done": rotated, "skipped": current}
        )
    return result
