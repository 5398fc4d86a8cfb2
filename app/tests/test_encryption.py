"""Encryption at rest, the key canary and key rotation."""

import pytest
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from encrypted_model_fields import fields as encrypted_fields

from klienti import checks, encryption
from klienti.models import CaseStep, EncryptionCanary, Klient, encrypted_field_names

from .conftest import new_case

pytestmark = pytest.mark.django_db

THE_14_FIELDS = [
    "full_name", "birth_number", "date_of_birth", "email", "phone", "street", "city",
    "postal_code", "id_card_number", "employer", "monthly_income", "bank_account",
    "financing_purpose", "rejection_reason",
]  # fmt: skip


def raw_row(model, pk, columns):
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(qn(c) for c in columns)} FROM {qn(model._meta.db_table)} "
            f"WHERE id = %s",
            [pk],
        )
        return dict(zip(columns, cursor.fetchone(), strict=True))


@pytest.fixture
def filled_case(adviser):
    return new_case(adviser, rejection_reason="Nízký příjem žadatele")


def test_klient_has_exactly_the_14_encrypted_fields():
    assert encrypted_field_names(Klient) == THE_14_FIELDS
    assert encrypted_field_names(CaseStep) == ["note"]


def test_all_14_columns_hold_ciphertext_in_the_database(filled_case, settings):
    raw = raw_row(Klient, filled_case.pk, THE_14_FIELDS)
    crypter = MultiFernet([Fernet(k) for k in settings.FIELD_ENCRYPTION_KEY])
    for name in THE_14_FIELDS:
        stored = raw[name]
        assert stored and stored.startswith("gAAAAA"), name
        plaintext = str(getattr(filled_case, name))
        assert plaintext not in stored, name
        assert crypter.decrypt(stored.encode()).decode() == plaintext, name


def test_no_column_of_the_case_row_holds_a_plaintext_copy(filled_case):
    columns = [f.column for f in Klient._meta.concrete_fields]
    raw = " ".join(str(v) for v in raw_row(Klient, filled_case.pk, columns).values())
    for secret in ("Petr", "Dvořák", filled_case.email, filled_case.birth_number, "Husova"):
        assert secret not in raw


def test_step_notes_are_encrypted(case):
    step = case.steps.get(number=1)
    step.note = "Klient volal, chce fixaci na 5 let"
    step.save()
    stored = raw_row(CaseStep, step.pk, ["note"])["note"]
    assert stored.startswith("gAAAAA") and "fixaci" not in stored


def test_canary_decrypts_with_the_configured_key():
    assert encryption.check_canary() == (True, "ok")
    assert checks.readiness() == {"encryption": {"ok": True, "detail": "ok"}}
    assert checks.encryption_canary(databases=["default"]) == []
    encryption.assert_canary()


def test_a_wrong_key_is_an_error_not_silent_ciphertext(settings):
    settings.FIELD_ENCRYPTION_KEY = [Fernet.generate_key().decode()]
    ok, reason = encryption.check_canary()
    assert not ok and "cannot decrypt" in reason
    assert checks.readiness()["encryption"]["ok"] is False
    errors = checks.encryption_canary(databases=["default"])
    assert [e.id for e in errors] == ["klienti.E001"]
    with pytest.raises(ImproperlyConfigured, match="canary"):
        encryption.assert_canary()


def test_canary_is_missing_before_migrations_create_it():
    EncryptionCanary.objects.all().delete()
    assert encryption.check_canary() == (False, "no canary row (run migrations)")
    assert checks.encryption_canary(databases=["default"]) == []  # migrate must still run
    encryption.ensure_canary()
    assert encryption.check_canary()[0]


def test_canary_with_unexpected_content_fails(settings):
    EncryptionCanary.objects.update(value="something else")
    assert encryption.check_canary() == (False, "canary decrypts to an unexpected value")


def test_the_check_only_runs_against_a_database():
    assert checks.encryption_canary(databases=None) == []


@pytest.fixture
def new_primary_key(settings, monkeypatch):
    """Put a fresh key in front of the old one, as an operator rotating would."""
    old = list(settings.FIELD_ENCRYPTION_KEY)
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = [new, *old]
    monkeypatch.setattr(encrypted_fields, "CRYPTER", MultiFernet([Fernet(k) for k in [new, *old]]))
    return Fernet(new)


def test_rotation_re_encrypts_every_value_under_the_newest_key(adviser, settings, monkeypatch):
    cases = [new_case(adviser, rejection_reason="důvod") for _ in range(3)]
    step = cases[0].steps.get(number=2)
    step.note = "poznámka"
    step.save()
    old_key = Fernet(settings.FIELD_ENCRYPTION_KEY[0])
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = [new, *settings.FIELD_ENCRYPTION_KEY]
    monkeypatch.setattr(
        encrypted_fields,
        "CRYPTER",
        MultiFernet([Fernet(k) for k in settings.FIELD_ENCRYPTION_KEY]),
    )
    seen = []
    result = encryption.rotate_field_key(batch_size=2, progress=lambda *a: seen.append(a))

    assert result.rotated["klienti.Klient"] == 3
    assert result.rotated["klienti.CaseStep"] == 45
    assert result.rotated["klienti.EncryptionCanary"] == 1
    assert result.total_rotated == 49
    assert len([s for s in seen if s[0] == "klienti.Klient"]) == 2  # batches of 2
    raw = raw_row(Klient, cases[1].pk, THE_14_FIELDS)
    only_new = Fernet(new)
    for name, value in raw.items():
        assert only_new.decrypt(value.encode()), name
        with pytest.raises(InvalidToken):
            old_key.decrypt(value.encode())
    # Values read back unchanged through the model, and the old key can go.
    settings.FIELD_ENCRYPTION_KEY = [new]
    monkeypatch.setattr(encrypted_fields, "CRYPTER", MultiFernet([only_new]))
    again = Klient.objects.get(pk=cases[1].pk)
    assert again.full_name == cases[1].full_name
    assert again.monthly_income == 61000
    assert encryption.check_canary() == (True, "ok")


def test_rotation_is_resumable_and_skips_rows_already_done(case, new_primary_key):
    first = encryption.rotate_field_key()
    assert first.rotated["klienti.Klient"] == 1
    second = encryption.rotate_field_key()
    assert second.total_rotated == 0
    assert second.current["klienti.Klient"] == 1
    assert second.current["klienti.CaseStep"] == 15


def test_rotation_stops_on_a_value_no_key_decrypts(case, settings):
    foreign = Fernet(Fernet.generate_key()).encrypt(b"x").decode()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE klienti_klient SET city = %s WHERE id = %s", [foreign, case.pk])
    with pytest.raises(ImproperlyConfigured, match=f"id={case.pk} column city"):
        encryption.rotate_field_key()


def test_rotate_command_prints_counts(case, new_primary_key, capsys):
    call_command("rotate_field_key", "--batch-size", "10")
    out = capsys.readouterr().out
    assert "klienti.Klient: 1 rows re-encrypted" in out
    assert "Done: 17 rows re-encrypted." in out
