"""Czech birth number (rodné číslo): format, date part and the mod-11 rule."""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_PATTERN = re.compile(r"^(\d{2})(\d{2})(\d{2})/?(\d{3,4})$")


def normalize_birth_number(value: str) -> str:
    """Digits only, the canonical form that is stored and indexed."""
    return re.sub(r"[\s/]", "", value or "")


def parse_birth_number(value: str) -> date:
    """Return the date of birth encoded in a valid birth number.

    Raises ValidationError with a Czech-translatable message otherwise.
    """
    match = _PATTERN.match((value or "").strip().replace(" ", ""))
    if not match:
        raise ValidationError(
            _("Enter the birth number as YYMMDD/XXXX."), code="birth_number_format"
        )
    yy, mm, dd = int(match.group(1)), int(match.group(2)), int(match.group(3))
    suffix = match.group(4)
    digits = normalize_birth_number(value)

    if len(suffix) == 3:
        # Nine-digit numbers were issued only before 1954 and carry no check digit.
        if yy >= 54:
            raise ValidationError(
                _("A nine-digit birth number must be from before 1954."),
                code="birth_number_format",
            )
        year = 1900 + yy
    else:
        year = 1900 + yy if yy >= 54 else 2000 + yy
        first_nine, check = int(digits[:9]), int(digits[9])
        remainder = first_nine % 11
        # Until 1985 a remainder of 10 was written as check digit 0.
        expected = 0 if remainder == 10 else remainder
        if check != expected:
            raise ValidationError(
                _("The birth number has an invalid check digit."), code="birth_number_checksum"
            )

    # Women have 50 added to the month; since 2004 a further 20 when numbers run out.
    if mm > 70:
        mm -= 70
    elif mm > 50:
        mm -= 50
    elif mm > 20:
        mm -= 20
    try:
        return date(year, mm, dd)
    except ValueError:
        raise ValidationError(
            _("The birth number does not contain a valid date."), code="birth_number_date"
        ) from None


def validate_birth_number(value: str) -> None:
    parse_birth_number(value)
