"""Realistic Czech demo data for the sandbox and the benchmark."""

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from . import roles
from .models import ACTIVE_STATUSES, Bank, CaseStep, Klient, Status, build_steps
from .steps import APPROVAL_STEP, LAST_STEP, STEPS

MALE = ("Jan", "Petr", "Tomáš", "Martin", "Jiří", "Pavel", "Lukáš", "Jakub", "Ondřej", "David")
FEMALE = ("Jana", "Eva", "Lucie", "Petra", "Kateřina", "Tereza", "Markéta", "Veronika", "Hana")
SURNAMES = (
    ("Novák", "Nováková"), ("Svoboda", "Svobodová"), ("Novotný", "Novotná"),
    ("Dvořák", "Dvořáková"), ("Černý", "Černá"), ("Procházka", "Procházková"),
    ("Kučera", "Kučerová"), ("Veselý", "Veselá"), ("Horák", "Horáková"),
    ("Němec", "Němcová"), ("Pokorný", "Pokorná"), ("Marek", "Marková"),
)  # fmt: skip
CITIES = (
    ("Praha", "110 00"), ("Brno", "602 00"), ("Ostrava", "702 00"), ("Plzeň", "301 00"),
    ("Liberec", "460 01"), ("Olomouc", "779 00"), ("České Budějovice", "370 01"),
    ("Hradec Králové", "500 02"), ("Pardubice", "530 02"), ("Zlín", "760 01"),
)  # fmt: skip
STREETS = ("Masarykova", "Husova", "Palackého", "Nádražní", "Školní", "Zahradní", "Luční")
EMPLOYERS = ("Škoda Auto a.s.", "ČEZ, a. s.", "Fakultní nemocnice", "Město Brno", "OSVČ",
             "Agrofert, a.s.", "Komerční banka, a.s.", "ZŠ Husova")  # fmt: skip
PURPOSES = ("Koupě bytu 2+kk", "Koupě rodinného domu", "Výstavba domu", "Rekonstrukce bytu",
            "Refinancování hypotéky", "Koupě pozemku")  # fmt: skip
BANK_CODES = ("0800", "0300", "0100", "0600", "5500", "2700", "6210", "2010", "3030")


def birth_number_for(rng: random.Random, female: bool) -> tuple[str, object]:
    """A valid ten-digit birth number and the date it encodes."""
    born = timezone.localdate() - timedelta(days=rng.randint(22 * 365, 60 * 365))
    month = born.month + (50 if female else 0)
    prefix = f"{born.year % 100:02d}{month:02d}{born.day:02d}{rng.randint(0, 999):03d}"
    check = int(prefix) % 11 % 10  # a remainder of 10 is written as 0
    return prefix + str(check), born


def _user(username, role, password_hash, first="", last=""):
    user, _ = get_user_model().objects.get_or_create(
        username=username,
        defaults={"first_name": first, "last_name": last, "email": f"{username}@example.invalid"},
    )
    user.password = password_hash
    user.save(update_fields=["password"])
    user.groups.add(Group.objects.get(name=role))
    return user


def _case(rng, adviser, today) -> tuple[Klient, int]:
    """A case and how many of its steps are done."""
    female = rng.random() < 0.5
    surname = rng.choice(SURNAMES)[1 if female else 0]
    first = rng.choice(FEMALE if female else MALE)
    birth_number, born = birth_number_for(rng, female)
    city, postal_code = rng.choice(CITIES)
    price = rng.randrange(2_000_000, 15_000_000, 50_000)
    loan = int(price * rng.uniform(0.5, 0.9)) // 1000 * 1000
    opened = today - timedelta(days=rng.randint(0, 160))
    elapsed = (today - opened).days
    # Roughly on schedule, sometimes behind: behind schedule makes overdue steps.
    done = max(0, min(LAST_STEP, elapsed // 7 - rng.randint(0, 3)))
    klient = Klient(
        adviser=adviser,
        opened_on=opened,
        full_name=f"{first} {surname}",
        birth_number=birth_number,
        date_of_birth=born,
        email=f"{first}.{surname}{rng.randint(1, 999)}@example.cz".lower(),
        phone=f"+420 {rng.randint(601, 799)} {rng.randint(100, 999)} {rng.randint(100, 999)}",
        street=f"{rng.choice(STREETS)} {rng.randint(1, 120)}",
        city=city,
        postal_code=postal_code,
        id_card_number=f"{rng.randint(100000000, 999999999)}",
        employer=rng.choice(EMPLOYERS),
        monthly_income=rng.randrange(25_000, 150_000, 500),
        bank_account=f"{rng.randint(100000, 9999999999)}/{rng.choice(BANK_CODES)}",
        financing_purpose=rng.choice(PURPOSES),
        property_price=price,
        loan_amount=loan,
        own_resources=price - loan,
        bank=rng.choice(Bank.values),
    )
    if rng.random() < 0.05 and done < LAST_STEP:
        klient.status = Status.REJECTED
        klient.rejection_reason = "Nedostatečná bonita klienta"
    elif done == LAST_STEP:
        klient.status = Status.COMPLETED
    elif done >= APPROVAL_STEP:
        klient.status = Status.APPROVED
    klient.refresh_search_indexes()
    klient.compute_ltv()
    if klient.status in ACTIVE_STATUSES:
        klient.current_step = done + 1
        klient.current_deadline = STEPS[done].default_deadline(opened)
    return klient, done


def seed(cases: int, password_hash: str, advisers: int = 10, seed_value: int = 42) -> dict:
    """Create a manager, `advisers` advisers and `cases` cases spread among them."""
    rng = random.Random(seed_value)  # noqa: S311 - repeatable demo data, not secrets
    today = timezone.localdate()
    with transaction.atomic():
        manager = _user("manazer", roles.MANAGER, password_hash, "Marie", "Vedoucí")
        team = [
            _user(f"poradce{i:02d}", roles.ADVISER, password_hash, rng.choice(MALE), "Poradce")
            for i in range(1, advisers + 1)
        ]
    created = 0
    batch_size = 500
    for start in range(0, cases, batch_size):
        with transaction.atomic():
            pairs = [_case(rng, team[(start + i) % len(team)], today)
                     for i in range(min(batch_size, cases - start))]  # fmt: skip
            Klient.objects.bulk_create([k for k, _ in pairs])
            steps = []
            now = timezone.now()
            for klient, done in pairs:
                for step in build_steps(klient):
                    if step.number <= done:
                        step.completed_at = now - timedelta(days=(done - step.number) * 6)
                        step.completed_by = klient.adviser
                    steps.append(step)
            CaseStep.objects.bulk_create(steps, batch_size=2000)
            created += len(pairs)
    return {"manager": manager.username, "advisers": len(team), "cases": created}
