"""Fixtures for the API, GDPR, notification, reporting and health tests:
users in each role and realistic cases built through the domain services."""

import itertools
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User

from klienti import roles, services
from klienti.models import Bank, Klient

_counter = itertools.count(1)


def valid_birth_number(born: date, female: bool = False) -> str:
    """A birth number that passes format, date and mod-11 checks."""
    month = born.month + (50 if female else 0)
    for serial in itertools.count(next(_counter) % 900 + 1):
        first_nine = f"{born:%y}{month:02d}{born:%d}{serial % 1000:03d}"
        remainder = int(first_nine) % 11
        if remainder != 10:
            return f"{first_nine[:6]}/{first_nine[6:]}{remainder}"
    raise AssertionError("unreachable")  # pragma: no cover


def make_user(username: str, role: str | None, email: str | None = None) -> User:
    user = User.objects.create_user(
        username=username,
        email=email if email is not None else f"{username}@poradci.example",
        password="correct-horse-battery-staple",
        first_name=username.capitalize(),
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def make_case(adviser, **overrides) -> Klient:
    number = next(_counter)
    born = date(1980 + number % 20, 1 + number % 12, 1 + number % 28)
    data = {
        "adviser": adviser,
        "full_name": f"Jana Nováková {number}",
        "birth_number": valid_birth_number(born, female=True),
        "date_of_birth": born,
        "email": f"jana.novakova{number}@seznam.example",
        "phone": "+420 601 234 567",
        "street": "Vinohradská 12",
        "city": "Praha",
        "postal_code": "120 00",
        "id_card_number": f"{200000000 + number}",
        "employer": "Škoda Auto a.s.",
        "monthly_income": 52000,
        "bank_account": "19-2000145399/0800",
        "financing_purpose": "Byt 3+kk v Praze",
        "property_price": Decimal("6500000"),
        "loan_amount": Decimal("5200000"),
        "own_resources": Decimal("1300000"),
        "bank": Bank.CESKA_SPORITELNA,
    }
    data.update(overrides)
    return services.create_case(adviser, Klient(**data))


@pytest.fixture
def adviser(db):
    return make_user("alena", roles.ADVISER)


@pytest.fixture
def other_adviser(db):
    return make_user("bohdan", roles.ADVISER)


@pytest.fixture
def manager(db):
    return make_user("marie", roles.MANAGER)


@pytest.fixture
def portal_client(db):
    return make_user("klara", roles.CLIENT)


@pytest.fixture
def case(adviser):
    return make_case(adviser)


@pytest.fixture
def other_case(other_adviser):
    return make_case(other_adviser)
