"""Management commands: demo data, TOTP enrolment; the audit trail's rules."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from klienti import audit
from klienti.birth_number import parse_birth_number
from klienti.models import AuditEntry, CaseStep, Klient, Status

pytestmark = pytest.mark.django_db


def test_seed_demo_data_creates_consistent_realistic_cases(capsys):
    call_command(
        "seed_demo_data", "--cases", "60", "--advisers", "3", "--password", "demo-pass-123"
    )
    out = capsys.readouterr().out
    assert "Created 60 cases for 3 advisers" in out and "demo-pass-123" not in out
    assert Klient.objects.count() == 60
    assert CaseStep.objects.count() == 60 * 15
    assert User.objects.get(username="poradce02").check_password("demo-pass-123")
    assert User.objects.get(username="manazer").groups.filter(name="manager").exists()
    for klient in Klient.objects.all():
        assert parse_birth_number(klient.birth_number) == klient.date_of_birth
        done = klient.steps.filter(completed_at__isnull=False).count()
        if klient.status in (Status.OPEN, Status.APPROVED):
            assert klient.current_step == done + 1
            step = klient.steps.get(number=klient.current_step)
            assert klient.current_deadline == step.deadline
        assert klient.name_index and klient.birth_number_index
    assert Klient.objects.filter(status=Status.OPEN).exists()


def test_seed_demo_data_prints_a_random_password_when_none_is_given(capsys):
    call_command("seed_demo_data", "--cases", "1", "--advisers", "1")
    out = capsys.readouterr().out
    password = out.split("password: ")[1].strip()
    assert User.objects.get(username="poradce01").check_password(password)


def test_totp_device_command_enrols_a_fresh_authenticator(administrator, capsys):
    call_command("totp_device", administrator.username)
    first = capsys.readouterr().out
    call_command("totp_device", administrator.username)
    assert first.startswith("otpauth://totp/")
    assert TOTPDevice.objects.filter(user=administrator, confirmed=True).count() == 1
    with pytest.raises(CommandError, match="No user"):
        call_command("totp_device", "nobody")


def test_audit_entries_are_append_only_and_reject_unknown_actions(adviser, case):
    entry = AuditEntry.objects.get(klient_id=case.pk)
    entry.fields = ["tampered"]
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record(adviser, case.pk, "viewed")
    assert str(entry).endswith(f"created HYP-{case.pk:06d}")


def test_audit_trail_never_contains_values(adviser, case):
    from klienti import services

    case.full_name = "Nové Jméno"
    services.update_case(adviser, case, ["full_name"])
    services.reject_case(adviser, case, "Tajný důvod")
    dump = str(list(AuditEntry.objects.filter(klient_id=case.pk).values()))
    assert "Nové" not in dump and "Tajný" not in dump and case.birth_number not in dump
    assert audit.history(case.pk)[0].action == "rejected"


def test_audit_survives_erasure_of_the_case_row(adviser, case):
    Klient.objects.filter(pk=case.pk).delete()
    assert AuditEntry.objects.filter(klient_id=case.pk).count() == 1
