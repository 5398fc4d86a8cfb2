import re

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_otp import match_token, user_has_device

from . import roles
from .birth_number import parse_birth_number
from .models import Bank, Klient, Status
from .steps import STEP_CHOICES

PERSONAL_FIELDS = (
    "full_name",
    "birth_number",
    "date_of_birth",
    "email",
    "phone",
    "street",
    "city",
    "postal_code",
    "id_card_number",
    "employer",
    "monthly_income",
    "bank_account",
    "financing_purpose",
)
FINANCIAL_FIELDS = ("property_price", "loan_amount", "own_resources", "bank")

_POSTAL_CODE = re.compile(r"^\d{3} ?\d{2}$")
_PHONE = re.compile(r"^\+?[\d ]{9,20}$")
_BANK_ACCOUNT = re.compile(r"^(\d{1,6}-)?\d{2,10}/\d{4}$")


class KlientForm(forms.ModelForm):
    class Meta:
        model = Klient
        fields = ("opened_on", *PERSONAL_FIELDS, *FINANCIAL_FIELDS)
        widgets = {
            "opened_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "financing_purpose": forms.Textarea(attrs={"rows": 3}),
            "birth_number": forms.TextInput(attrs={"placeholder": "RRMMDD/XXXX"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Deadlines were counted from the opening date; it stays fixed.
            del self.fields["opened_on"]
        for name in ("monthly_income", "property_price", "loan_amount", "own_resources"):
            self.fields[name].min_value = 0
            self.fields[name].widget.attrs["min"] = 0

    def clean_postal_code(self):
        value = self.cleaned_data["postal_code"].strip()
        if value and not _POSTAL_CODE.match(value):
            raise ValidationError(_("Enter the postal code as five digits, e.g. 110 00."))
        return value

    def clean_phone(self):
        value = self.cleaned_data["phone"].strip()
        if value and not _PHONE.match(value):
            raise ValidationError(_("Enter a phone number, e.g. +420 601 123 456."))
        return value

    def clean_bank_account(self):
        value = self.cleaned_data["bank_account"].replace(" ", "")
        if value and not _BANK_ACCOUNT.match(value):
            raise ValidationError(_("Enter the account as [prefix-]number/bank code."))
        return value

    def clean_monthly_income(self):
        value = self.cleaned_data["monthly_income"]
        if value is not None and value < 0:
            raise ValidationError(_("The income cannot be negative."))
        return value

    def clean(self):
        cleaned = super().clean()
        birth_number = cleaned.get("birth_number")
        date_of_birth = cleaned.get("date_of_birth")
        if birth_number and date_of_birth:
            try:
                encoded = parse_birth_number(birth_number)
            except ValidationError:
                encoded = None  # the field's own validator already reported it
            if encoded and encoded != date_of_birth:
                self.add_error(
                    "date_of_birth", _("The date of birth does not match the birth number.")
                )
        price, loan = cleaned.get("property_price"), cleaned.get("loan_amount")
        if price and loan and loan > price:
            self.add_error("loan_amount", _("The loan cannot exceed the property price."))
        return cleaned


class CompleteStepForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class StepNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class StepDeadlineForm(forms.Form):
    deadline = forms.DateField(label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}))


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for rejection"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("Give the reason for the rejection."))
        return reason


def _attrs_html(attrs) -> str:
    """Attributes as Django's attrs.html writes them (True: name only, False: left out)."""
    return "".join(
        f" {name}" if value is True else f' {name}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class FastSelect(forms.Select):
    """The same HTML as Django's select widget, built in one loop over the
    choices instead of a template and an option dictionary per choice: the
    filter form's 40 options and the reassign form's advisers cost more than
    the rest of their pages did."""

    def render(self, name, value, attrs=None, renderer=None):
        choices = list(self.choices)  # once: a model field's choices are a query
        if self.allow_multiple_selected or any(
            isinstance(label, (list, tuple)) for _value, label in choices
        ):
            return self._render_from_context(name, value, attrs)
        selected = self.format_value(value)
        has_selected = False
        parts = [
            f'<select name="{conditional_escape(name)}"'
            f"{_attrs_html(self.build_attrs(self.attrs, attrs))}>"
        ]
        for option_value, label in choices:
            text = "" if option_value is None else str(option_value)
            # Like Django's select: only the first matching option is selected.
            is_selected = not has_selected and text in selected
            has_selected = has_selected or is_selected
            parts.append(
                f'\n  <option value="{escape(text)}"{" selected" if is_selected else ""}>'
                f"{conditional_escape(label)}</option>\n"
            )
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped

    def _render_from_context(self, name, value, attrs):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [
            f'<select name="{conditional_escape(widget["name"])}"{_attrs_html(widget["attrs"])}>'
        ]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            for option in options:
                parts.append(
                    f'\n  <option value="{escape(option["value"])}"'
                    f"{_attrs_html(option['attrs'])}>{conditional_escape(option['label'])}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def advisers():
    return (
        get_user_model()
        .objects.filter(groups__name=roles.ADVISER, is_active=True)
        .order_by("last_name", "first_name", "username")
    )


class ReassignForm(forms.Form):
    adviser = forms.ModelChoiceField(label=_("New adviser"), queryset=None, widget=FastSelect)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["adviser"]
        field.queryset = advisers()  # validates the submitted choice
        field.label_from_instance = lambda u: u.get_full_name() or u.username
        # The select shows ids and names: read as plain values, not 50 user objects.
        names = advisers().values_list("pk", "first_name", "last_name", "username")
        field.widget.choices = [("", field.empty_label)] + [
            (pk, f"{first} {last}".strip() or username) for pk, first, last, username in names
        ]


SORT_CHOICES = (
    ("-opened_on", _("Newest first")),
    ("opened_on", _("Oldest first")),
    ("current_deadline", _("Nearest deadline")),
    ("-loan_amount", _("Largest loan")),
    ("loan_amount", _("Smallest loan")),
    ("current_step", _("Step")),
    ("bank", _("Bank")),
    ("status", _("Status")),
)


class CaseFilterForm(forms.Form):
    """Filters travel in the URL; the search term never does (see SearchForm)."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any"))] + [c for c in Status.choices if c[0] != Status.ERASED],
        widget=FastSelect,
    )
    step = forms.TypedChoiceField(
        label=_("Step"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any"))] + list(STEP_CHOICES),
        widget=FastSelect,
    )
    bank = forms.ChoiceField(
        label=_("Bank"),
        required=False,
        choices=[("", _("Any"))] + Bank.choices,
        widget=FastSelect,
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort by"), required=False, choices=SORT_CHOICES, widget=FastSelect
    )


class SearchForm(forms.Form):
    """Sent by POST so that birth numbers and e-mails never appear in URLs,
    browser history or the web server's access log."""

    q = forms.CharField(
        label=_("Search by name, birth number or e-mail"), max_length=254, required=True
    )


class LoginForm(AuthenticationForm):
    """Password, plus a TOTP token for everyone who must (or chose to) use one."""

    otp_token = forms.CharField(
        label=_("One-time code (2FA)"),
        required=False,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "otp_required": _("Your account requires a one-time code from your authenticator app."),
        "otp_not_enrolled": _(
            "Your account requires two-factor authentication but has no authenticator "
            "set up. Ask an administrator to enrol one."
        ),
        "otp_invalid": _("The one-time code is not valid."),
    }

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is None:
            return cleaned
        has_device = user_has_device(user, confirmed=True)
        if not (has_device or roles.requires_otp(user)):
            return cleaned
        if not has_device:
            raise ValidationError(self.error_messages["otp_not_enrolled"], code="otp_not_enrolled")
        token = (cleaned.get("otp_token") or "").strip()
        if not token:
            raise ValidationError(self.error_messages["otp_required"], code="otp_required")
        device = match_token(user, token)
        if device is None:
            raise ValidationError(self.error_messages["otp_invalid"], code="otp_invalid")
        # django-otp's login signal stores the verified device in the session.
        user.otp_device = device
        return cleaned
