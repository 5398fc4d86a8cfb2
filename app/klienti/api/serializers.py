from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .. import roles
from ..models import Bank, CaseStep, Klient, Status, encrypted_field_names
from ..steps import STEP_NUMBERS, get_step

User = get_user_model()

# The 14 encrypted personal fields, in declaration order (one definition: models.py).
PERSONAL_FIELDS = tuple(encrypted_field_names(Klient))
MONEY = {"min_value": 0, "max_digits": 12, "decimal_places": 0, "allow_null": True}


def _encodable(value):
    """Strings that UTF-8 cannot encode (lone surrogates from JSON escapes)
    would fail inside the encryption layer; reject them as input errors."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise serializers.ValidationError(
                _("The text contains characters that are not allowed."), code="invalid_text"
            ) from None
    return value


class SafeCharField(serializers.CharField):
    def to_internal_value(self, data):
        return _encodable(super().to_internal_value(data))


class SafeEmailField(serializers.EmailField):
    def to_internal_value(self, data):
        return _encodable(super().to_internal_value(data))


class KlientSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    adviser = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(groups__name=roles.ADVISER, is_active=True),
        required=False,
        help_text="Owner of the case; only managers choose it, advisers own what they create.",
    )
    opened_on = serializers.DateField(required=False)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    monthly_income = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=100_000_000
    )
    property_price = serializers.DecimalField(required=False, **MONEY)
    loan_amount = serializers.DecimalField(required=False, **MONEY)
    own_resources = serializers.DecimalField(required=False, **MONEY)
    bank = serializers.ChoiceField(choices=Bank.choices, required=False, allow_blank=True)

    class Meta:
        model = Klient
        fields = (
            "id",
            "reference",
            "status",
            "adviser",
            "opened_on",
            *PERSONAL_FIELDS,
            "property_price",
            "loan_amount",
            "own_resources",
            "ltv",
            "bank",
            "current_step",
            "current_deadline",
            "created_at",
            "updated_at",
            "closed_at",
        )
        read_only_fields = (
            "status",
            "rejection_reason",
            "ltv",
            "current_step",
            "current_deadline",
            "created_at",
            "updated_at",
            "closed_at",
        )

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if field_class is serializers.CharField:
            field_class = SafeCharField
        elif field_class is serializers.EmailField:
            field_class = SafeEmailField
        return field_class, kwargs

    def validate_opened_on(self, value):
        today = timezone.localdate()
        if not date(2000, 1, 1) <= value <= today + timedelta(days=366):
            raise serializers.ValidationError(
                _("The opening date must lie between 2000 and one year ahead."),
                code="out_of_range",
            )
        return value

    def validate_date_of_birth(self, value):
        if value is not None and not date(1900, 1, 1) <= value <= timezone.localdate():
            raise serializers.ValidationError(_("Enter a real date of birth."), code="out_of_range")
        return value

    def validate(self, attrs):
        user = self.context["request"].user
        adviser = attrs.get("adviser")
        if not roles.is_manager(user):
            current = self.instance.adviser_id if self.instance else user.pk
            if adviser is not None and adviser.pk != current:
                raise serializers.ValidationError(
                    {"adviser": _("Only a manager reassigns a case.")}, code="not_manager"
                )
            if self.instance is None:
                attrs["adviser"] = user
        elif self.instance is None and adviser is None:
            raise serializers.ValidationError(
                {"adviser": _("Choose the adviser who owns the case.")}, code="required"
            )
        return attrs


class KlientListSerializer(serializers.ModelSerializer):
    """One row of the case list: what a list shows, nothing more.

    Of the 14 encrypted fields only the name is read (and decrypted); the
    detail endpoint returns the full case."""

    reference = serializers.CharField(read_only=True)
    adviser = serializers.IntegerField(source="adviser_id", read_only=True)
    # Declared so the schema keeps "" (no bank chosen yet) as a valid value.
    bank = serializers.ChoiceField(choices=Bank.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Klient
        fields = (
            "id",
            "reference",
            "status",
            "adviser",
            "opened_on",
            "full_name",
            "loan_amount",
            "ltv",
            "bank",
            "current_step",
            "current_deadline",
        )
        read_only_fields = fields

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        """The model columns the row needs, for QuerySet.only()."""
        return tuple(
            "adviser_id" if f == "adviser" else f for f in cls.Meta.fields if f != "reference"
        )


class CaseStepSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    completed_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    is_done = serializers.BooleanField(read_only=True)

    class Meta:
        model = CaseStep
        fields = ("number", "name", "deadline", "completed_at", "completed_by", "is_done", "note")
        read_only_fields = fields

    def get_name(self, step) -> str:
        return str(get_step(step.number).name) if step.number in STEP_NUMBERS else ""


class CompleteStepSerializer(serializers.Serializer):
    note = SafeCharField(required=False, allow_blank=True, max_length=5000)


class RejectSerializer(serializers.Serializer):
    reason = SafeCharField(max_length=5000)


class CaseFilterSerializer(serializers.Serializer):
    """Query parameters of the case list; invalid values are a 400, not a 500."""

    ORDERINGS = (
        "opened_on",
        "-opened_on",
        "current_deadline",
        "-current_deadline",
        "loan_amount",
        "-loan_amount",
        "id",
        "-id",
    )

    search = SafeCharField(
        required=False,
        max_length=200,
        help_text="Exact name, e-mail or birth number (matched by blind index).",
    )
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    bank = serializers.ChoiceField(choices=Bank.choices, required=False)
    current_step = serializers.IntegerField(
        required=False, min_value=min(STEP_NUMBERS), max_value=max(STEP_NUMBERS)
    )
    adviser = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)
    ordering = serializers.ChoiceField(choices=ORDERINGS, required=False)
