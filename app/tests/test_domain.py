"""The 15 steps, birth numbers, blind indexes and case invariants."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from klienti import blind_index
from klienti.birth_number import normalize_birth_number, parse_birth_number
from klienti.models import CaseStep, Klient, Status
from klienti.steps import STEP_NUMBERS, STEPS, get_step

from .conftest import birth_number, new_case


def test_there_are_fifteen_steps_numbered_in_order_with_weekly_deadlines():
    assert tuple(range(1, 16)) == STEP_NUMBERS
    assert [s.default_days for s in STEPS] == [7 * n for n in range(1, 16)]
    assert str(get_step(1).name) == "Co chce klient financovat"  # Czech by default
    assert str(get_step(15).name) == "Podmínky pro splácení"
    with pytest.raises(KeyError):
        get_step(16)


@pytest.mark.parametrize(
    "value, born",
    [
        ("7801011239", date(1978, 1, 1)),
        ("785101/1234", date(1978, 1, 1)),  # woman: month + 50
        ("045228/0013", date(2004, 2, 28)),  # woman born in 2004
        ("036223/0003", date(2003, 12, 23)),  # woman: month + 50 (62 -> 12)
        ("042201/0004", date(2004, 2, 1)),  # man, +20 since 2004
        ("530101/123", date(1953, 1, 1)),  # nine digits before 1954
    ],
)
def test_valid_birth_numbers_give_their_date(value, born):
    digits = normalize_birth_number(value)
    if len(digits) == 10:
        # Build the valid check digit for the date part under test.
        remainder = int(digits[:9]) % 11
        value = digits[:9] + str(0 if remainder == 10 else remainder)
    assert parse_birth_number(value) == born


@pytest.mark.parametrize(
    "value, code",
    [
        ("780101123", "birth_number_format"),  # nine digits after 1954
        ("78010112", "birth_number_format"),
        ("abcdefghij", "birth_number_format"),
        ("7801011231", "birth_number_checksum"),
        ("781301/0000", "birth_number_date"),  # month 13
    ],
)
def test_invalid_birth_numbers_are_rejected_with_a_reason(value, code):
    if code == "birth_number_date":
        remainder = int(normalize_birth_number(value)[:9]) % 11
        value = value[:-1] + str(0 if remainder == 10 else remainder)
    with pytest.raises(ValidationError) as error:
        parse_birth_number(value)
    assert error.value.code == code


def test_remainder_ten_is_written_as_zero():
    first_nine = next(f"780101{s:03d}" for s in range(1000) if int(f"780101{s:03d}") % 11 == 10)
    assert parse_birth_number(first_nine + "0") == date(1978, 1, 1)
    with pytest.raises(ValidationError):
        parse_birth_number(first_nine + "1")


def test_blind_index_ignores_case_accents_and_spacing_but_not_the_key(settings):
    assert blind_index.name_index("Jan  Novák") == blind_index.name_index("jan novak")
    assert blind_index.email_index(" A@B.cz ") == blind_index.email_index("a@b.cz")
    assert blind_index.birth_number_index("780101/1239") == blind_index.birth_number_index(
        "7801011239"
    )
    assert blind_index.name_index("") == ""
    before = blind_index.name_index("Jan Novák")
    settings.BLIND_INDEX_KEY = "another-key-entirely"
    assert blind_index.name_index("Jan Novák") != before
    assert len(before) == 64 and "novak" not in before


@pytest.mark.django_db
def test_a_new_case_gets_fifteen_steps_with_deadlines_from_its_opening(adviser):
    klient = new_case(adviser, opened_on=date(2026, 1, 1))
    steps = list(klient.steps.order_by("number"))
    assert [s.number for s in steps] == list(range(1, 16))
    assert steps[0].deadline == date(2026, 1, 8)
    assert steps[-1].deadline == date(2026, 4, 16)
    assert klient.current_step == 1 and klient.current_deadline == date(2026, 1, 8)
    assert klient.status == Status.OPEN
    assert str(klient) == klient.reference == f"HYP-{klient.pk:06d}"
    assert klient.ltv == 80


@pytest.mark.django_db
def test_step_numbers_outside_one_to_fifteen_are_refused_by_the_database(case):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        CaseStep.objects.filter(klient=case, number=15).update(number=16)


@pytest.mark.django_db
def test_birth_number_is_stored_normalised_and_indexed(adviser):
    value = birth_number(date(1990, 5, 17))
    klient = new_case(adviser, birth_number=value)
    klient.refresh_from_db()
    assert klient.birth_number == value.replace("/", "")
    assert Klient.objects.filter(birth_number_index=blind_index.birth_number_index(value)).exists()
