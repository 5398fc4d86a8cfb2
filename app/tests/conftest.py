"""Shared fixtures: one user per role and realistic cases."""

import itertools
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from klienti import roles, services
from klienti.models import Bank, Klient

PASSWORD = "correct-horse-battery-staple"
_numbers = itertools.count(1)


def birth_number(born: date, female: bool = False, serial: int = 123) -> str:
    """A valid ten-digit birth number (format, date and mod-11) for a date."""
    month = born.month + (50 if female else 0)
    for candidate in itertools.count(serial):
        first_nine = f"{born:%y}{month:02d}{born:%d}{candidate % 1000:03d}"
        if int(first_nine) % 11 != 10:
            return f"{first_nine[:6]}/{first_nine[6:]}{int(first_nine) % 11}"
    raise AssertionError("unreachable")  # pragma: no cover


def new_user(username: str, role: str | None = None, **extra) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, **extra)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def new_case(adviser, **overrides) -> Klient:
    n = next(_numbers)
    born = date(1975 + n % 25, 1 + n % 12, 1 + n % 28)
    fields = {
        "adviser": adviser,
        "full_name": f"Petr Dvořák {n}",
        "birth_number": birth_number(born, serial=100 + n),
        "date_of_birth": born,
        "email": f"petr.dvorak{n}@example.cz",
        "phone": "+420 602 111 222",
        "street": "Husova 5",
        "city": "Brno",
        "postal_code": "602 00",
        "id_card_number": f"{300000000 + n}",
        "employer": "Vzorová firma s.r.o.",
        "monthly_income": 61000,
        "bank_account": "2000145399/0800",
        "financing_purpose": "Rodinný dům v Líšni",
        "rejection_reason": "",
        "property_price": Decimal("7000000"),
        "loan_amount": Decimal("5600000"),
        "own_resources": Decimal("1400000"),
        "bank": Bank.KOMERCNI_BANKA,
    }
    fields.update(overrides)
    return services.create_case(adviser, Klient(**fields))


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def totp_token(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


@pytest.fixture
def adviser(db):
    return new_user("poradce_a", roles.ADVISER, first_name="Adam", last_name="Adviser")


@pytest.fixture
def other_adviser(db):
    return new_user("poradce_b", roles.ADVISER, first_name="Bára", last_name="Jiná")


@pytest.fixture
def manager(db):
    return new_user("manazer", roles.MANAGER)


@pytest.fixture
def administrator(db):
    return new_user("spravce", roles.ADMINISTRATOR, is_staff=True, is_superuser=True)


@pytest.fixture
def administrator_device(administrator):
    return TOTPDevice.objects.create(user=administrator, name="phone", confirmed=True)


@pytest.fixture
def portal_user(db):
    return new_user("klient_portal", roles.CLIENT)


@pytest.fixture
def case(adviser):
    return new_case(adviser)


@pytest.fixture
def other_case(other_adviser):
    return new_case(other_adviser)
