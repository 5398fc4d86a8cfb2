"""Models of the operational features: API tokens, notification claims and
the GDPR erasure log. Imported by models.py so they belong to the klienti app.

None of them holds personal data of a client: cases are referenced by number.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TOKEN_PREFIX_LENGTH = 8


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def issue(self, user, name: str = "") -> tuple["ApiToken", str]:
        """Create a token; the raw value is returned once and stored only hashed."""
        raw = secrets.token_urlsafe(32)
        token = self.create(
            user=user, name=name, prefix=raw[:TOKEN_PREFIX_LENGTH], key_hash=hash_token(raw)
        )
        return token, raw


class ApiToken(models.Model):
    """A bearer token for scripts using the REST API. Only its SHA-256 is kept,
    so a database dump does not hand out working credentials."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(max_length=TOKEN_PREFIX_LENGTH, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.prefix}… ({self.name or self.user_id})"


class ClaimStatus(models.TextChoices):
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class NotificationClaim(models.Model):
    """Who sends one periodic notification to one recipient for one period.

    The unique constraint is the lock: when several app hosts run the same
    cron job, exactly one INSERT succeeds and only that host sends; a failed
    send can be taken over by a later run, a sent one never again."""

    notification_type = models.CharField(max_length=32)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    period = models.DateField()
    status = models.CharField(max_length=16, choices=ClaimStatus.choices)
    claimed_by = models.CharField(max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notification claim")
        verbose_name_plural = _("notification claims")
        constraints = [
            models.UniqueConstraint(
                fields=["notification_type", "recipient", "period"],
                name="notificationclaim_once_per_period",
            )
        ]

    def __str__(self):
        return f"{self.notification_type} {self.recipient_id} {self.period} {self.status}"


class ErasureReason(models.TextChoices):
    REQUEST = "request", _("data subject's request")
    RETENTION = "retention", _("retention period over")


class ErasureLog(models.Model):
    """One row per GDPR erasure: enough to replay it after a backup restore,
    nothing that identifies the person. No foreign key, so nothing cascades."""

    klient_id = models.BigIntegerField(db_index=True)
    erased_at = models.DateTimeField(default=timezone.now)
    actor_username = models.CharField(max_length=150, blank=True)
    reason = models.CharField(max_length=16, choices=ErasureReason.choices)

    class Meta:
        verbose_name = _("erasure log entry")
        verbose_name_plural = _("erasure log")
        ordering = ("erased_at", "id")

    def __str__(self):
        return f"HYP-{self.klient_id:06d} {self.erased_at:%Y-%m-%d} {self.reason}"
