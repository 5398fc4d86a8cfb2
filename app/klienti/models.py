"""Cases (Klient), their 15 steps, the audit trail and the notification log."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from encrypted_model_fields.fields import (
    EncryptedCharField,
    EncryptedDateField,
    EncryptedEmailField,
    EncryptedIntegerField,
    EncryptedMixin,
    EncryptedTextField,
)

from . import blind_index
from .birth_number import normalize_birth_number, validate_birth_number
from .steps import FIRST_STEP, LAST_STEP, STEP_CHOICES, STEPS


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    COMPLETED = "completed", _("Completed")
    ERASED = "erased", _("Erased")


# Statuses in which the workflow still runs and deadlines matter.
ACTIVE_STATUSES = (Status.OPEN, Status.APPROVED)


class Bank(models.TextChoices):
    CESKA_SPORITELNA = "csas", "Česká spořitelna"
    CSOB = "csob", "ČSOB Hypoteční banka"
    KOMERCNI_BANKA = "kb", "Komerční banka"
    MONETA = "moneta", "MONETA Money Bank"
    RAIFFEISEN = "rb", "Raiffeisenbank"
    UNICREDIT = "unicredit", "UniCredit Bank"
    MBANK = "mbank", "mBank"
    OBERBANK = "oberbank", "Oberbank"
    FIO = "fio", "Fio banka"
    AIR_BANK = "airbank", "Air Bank"


def local_today():
    return timezone.localdate()


class Klient(models.Model):
    """One client's mortgage case. Personal data is encrypted at rest."""

    adviser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("adviser"),
    )
    portal_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="portal_cases",
        verbose_name=_("client portal account"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    opened_on = models.DateField(_("opened on"), default=local_today)

    # Personal data: the 14 encrypted fields (Fernet, keys from the environment).
    full_name = EncryptedCharField(_("full name"), max_length=200)
    birth_number = EncryptedCharField(
        _("birth number"), max_length=11, validators=[validate_birth_number]
    )
    date_of_birth = EncryptedDateField(_("date of birth"), null=True, blank=True)
    email = EncryptedEmailField(_("e-mail"), max_length=254, blank=True)
    phone = EncryptedCharField(_("phone"), max_length=32, blank=True)
    street = EncryptedCharField(_("street and number"), max_length=200, blank=True)
    city = EncryptedCharField(_("city"), max_length=100, blank=True)
    postal_code = EncryptedCharField(_("postal code"), max_length=10, blank=True)
    id_card_number = EncryptedCharField(_("ID card number"), max_length=20, blank=True)
    employer = EncryptedCharField(_("employer"), max_length=200, blank=True)
    monthly_income = EncryptedIntegerField(_("net monthly income (CZK)"), null=True, blank=True)
    bank_account = EncryptedCharField(_("bank account"), max_length=40, blank=True)
    financing_purpose = EncryptedTextField(_("what the client wants to finance"), blank=True)
    rejection_reason = EncryptedTextField(_("rejection reason"), blank=True)

    # Blind indexes (keyed HMACs) make exact-match search possible without plaintext.
    name_index = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    email_index = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    birth_number_index = models.CharField(max_length=64, blank=True, editable=False, db_index=True)

    # Plain financial fields.
    property_price = models.DecimalField(
        _("property price (CZK)"), max_digits=12, decimal_places=0, null=True, blank=True
    )
    loan_amount = models.DecimalField(
        _("loan amount (CZK)"), max_digits=12, decimal_places=0, null=True, blank=True
    )
    own_resources = models.DecimalField(
        _("own resources (CZK)"), max_digits=12, decimal_places=0, null=True, blank=True
    )
    ltv = models.DecimalField(
        _("LTV (%)"), max_digits=5, decimal_places=1, null=True, blank=True, editable=False
    )
    bank = models.CharField(_("bank"), max_length=16, choices=Bank.choices, blank=True)

    # The next open step and its deadline, kept in step with CaseStep so lists,
    # filters and the dashboard need no join over 150,000 step rows.
    current_step = models.PositiveSmallIntegerField(
        _("current step"), choices=STEP_CHOICES, null=True, blank=True, editable=False
    )
    current_deadline = models.DateField(
        _("current deadline"), null=True, blank=True, editable=False
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ("-opened_on", "-id")
        indexes = [
            models.Index(fields=["adviser", "status", "current_deadline"]),
            models.Index(fields=["status", "current_deadline"]),
            models.Index(fields=["adviser", "-opened_on", "-id"]),
            # Covers the default order and the "not erased" filter, so a page's
            # keys are found in the index alone (see klienti.api.pagination).
            models.Index(fields=["-opened_on", "-id", "status"]),
            # The manager's dashboard: the nearest deadlines of all advisers are
            # read in index order until 15 active cases are found, not sorted.
            models.Index(fields=["current_deadline"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(current_step__isnull=True)
                | Q(current_step__gte=FIRST_STEP, current_step__lte=LAST_STEP),
                name="klient_current_step_in_range",
            ),
        ]

    def __str__(self):
        # Never the client's name: __str__ ends up in logs and admin messages.
        return self.reference

    def save(self, *args, **kwargs):
        if self.birth_number:
            self.birth_number = normalize_birth_number(self.birth_number)
        self.refresh_search_indexes()
        self.compute_ltv()
        adding = self._state.adding
        if adding and self.current_step is None and self.status in ACTIVE_STATUSES:
            self.current_step = FIRST_STEP
            self.current_deadline = STEPS[0].default_deadline(self.opened_on)
        super().save(*args, **kwargs)
        if adding:
            CaseStep.objects.bulk_create(build_steps(self))

    @property
    def reference(self) -> str:
        return f"HYP-{self.pk:06d}" if self.pk else "HYP-new"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def refresh_search_indexes(self):
        self.name_index = blind_index.name_index(self.full_name)
        self.email_index = blind_index.email_index(self.email)
        self.birth_number_index = blind_index.birth_number_index(self.birth_number)

    def compute_ltv(self):
        if self.loan_amount and self.property_price:
            ratio = Decimal(self.loan_amount) / Decimal(self.property_price) * 100
            self.ltv = ratio.quantize(Decimal("0.1"))
        else:
            self.ltv = None


def build_steps(klient) -> list["CaseStep"]:
    """The 15 step rows of a new case, deadlines counted from its opening date."""
    return [
        CaseStep(
            klient=klient, number=step.number, deadline=step.default_deadline(klient.opened_on)
        )
        for step in STEPS
    ]


class CaseStep(models.Model):
    klient = models.ForeignKey(Klient, on_delete=models.CASCADE, related_name="steps")
    number = models.PositiveSmallIntegerField(_("step"), choices=STEP_CHOICES)
    deadline = models.DateField(_("deadline"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("completed by"),
    )
    note = EncryptedTextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ("klient_id", "number")
        constraints = [
            models.UniqueConstraint(fields=["klient", "number"], name="casestep_unique_number"),
            models.CheckConstraint(
                condition=Q(number__gte=FIRST_STEP, number__lte=LAST_STEP),
                name="casestep_number_in_range",
            ),
        ]
        indexes = [models.Index(fields=["completed_at", "deadline"])]

    def __str__(self):
        return f"{self.klient_id}/{self.number}"

    @property
    def is_done(self) -> bool:
        return self.completed_at is not None


class AuditAction(models.TextChoices):
    CREATED = "created", _("created")
    UPDATED = "updated", _("updated")
    STEP_COMPLETED = "step_completed", _("step completed")
    NOTE_CHANGED = "note_changed", _("note changed")
    REJECTED = "rejected", _("rejected")
    REASSIGNED = "reassigned", _("reassigned")
    DELETED = "deleted", _("deleted")
    ERASED = "erased", _("erased")
    EXPORTED = "exported", _("exported")


class AuditEntry(models.Model):
    """Who changed which fields of which case, and when; never the values.

    klient_id is a plain integer, not a foreign key, so that deleting or
    erasing a case cannot cascade to its own audit trail.
    """

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    klient_id = models.BigIntegerField(db_index=True)
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    fields = models.JSONField(default=list, blank=True)
    step_number = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["klient_id", "-created_at"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} HYP-{self.klient_id:06d}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Audit entries are append-only.")
        super().save(*args, **kwargs)


class NotificationType(models.TextChoices):
    DEADLINE_DIGEST = "deadline_digest", _("deadline digest")
    REPORTING = "reporting", _("pipeline report")
    STEP_COMPLETED = "step_completed", _("step completed")
    CASE_REJECTED = "case_rejected", _("case rejected")


class NotifikaceLog(models.Model):
    """One row per notification sent or attempted. No plaintext personal data:
    the recipient is a user reference, the case a number."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recipient"),
    )
    notification_type = models.CharField(_("type"), max_length=32, choices=NotificationType.choices)
    klient_id = models.BigIntegerField(_("case"), null=True, blank=True, db_index=True)
    sent_for = models.DateField(_("for day"), null=True, blank=True)
    success = models.BooleanField(_("success"), default=False)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("notification log entry")
        verbose_name_plural = _("notification log")
        ordering = ("-created_at", "-id")

    def __str__(self):
        return f"{self.notification_type} {self.created_at:%Y-%m-%d %H:%M}"


class EncryptionCanary(models.Model):
    """A known value encrypted under the field keys: if it does not decrypt,
    the configured keys are wrong and the app must refuse to serve."""

    value = EncryptedCharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("encryption canary")
        verbose_name_plural = _("encryption canary")

    def __str__(self):
        return f"canary {self.pk}"


def encrypted_field_names(model) -> list[str]:
    """Names of a model's encrypted fields, in declaration order."""
    return [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedMixin)]


# Models of the API, notifications and GDPR features live in their own module.
from .operational_models import (  # noqa: E402, F401
    ApiToken,
    ErasureLog,
    NotificationClaim,
)
