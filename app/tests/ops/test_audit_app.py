import json

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection

from klienti import security_audit
from klienti.models import AuditAction, AuditEntry, Klient, NotifikaceLog

pytestmark = pytest.mark.django_db


def by_id(checks):
    return {check["id"]: check for check in checks}


def test_a_sound_database_passes_every_check(case, other_case):
    checks = by_id(security_audit.run_audit())
    assert set(checks) == {
        "encryption-at-rest",
        "encryption-canary",
        "pii-audit-trail",
        "pii-notification-log",
        "gdpr-export",
        "gdpr-erasure",
    }
    assert {c["result"] for c in checks.values()} == {"pass"}, checks
    assert "2 cases, " in checks["encryption-at-rest"]["evidence"]
    assert "14 personal-data columns" in checks["encryption-at-rest"]["evidence"]


def test_plaintext_in_a_personal_column_fails_and_names_the_case_not_the_value(case):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE klienti_klient SET city = %s WHERE id = %s", ["Olomouc", case.pk])
    check = security_audit.check_encryption_at_rest()
    assert check["result"] == "fail"
    assert f"{case.reference} column city" in check["evidence"]
    assert "Olomouc" not in check["evidence"]


def test_a_client_value_in_the_audit_trail_or_notification_log_fails(case):
    AuditEntry.objects.create(
        klient_id=case.pk, action=AuditAction.UPDATED, fields=[case.full_name]
    )
    NotifikaceLog.objects.create(notification_type="deadline_digest", error=f"bounce {case.email}")
    checks = by_id(security_audit.check_logs_hold_no_personal_data())
    assert checks["pii-audit-trail"]["result"] == "fail"
    assert checks["pii-notification-log"]["result"] == "fail"
    assert case.full_name not in json.dumps(checks)
    assert case.email not in json.dumps(checks)


def test_gdpr_drive_passes_and_leaves_nothing_behind(case):
    users, cases, entries = User.objects.count(), Klient.objects.count(), AuditEntry.objects.count()
    checks = by_id(security_audit.check_gdpr_endpoints())
    assert checks["gdpr-export"]["result"] == "pass", checks["gdpr-export"]["evidence"]
    assert checks["gdpr-erasure"]["result"] == "pass", checks["gdpr-erasure"]["evidence"]
    assert "another adviser GET export: 404" in checks["gdpr-export"]["evidence"]
    assert "a manager POST erase: 302" in checks["gdpr-erasure"]["evidence"]
    assert (User.objects.count(), Klient.objects.count(), AuditEntry.objects.count()) == (
        users,
        cases,
        entries,
    )


def test_gdpr_drive_fails_when_an_adviser_may_erase(monkeypatch, case):
    monkeypatch.setattr("klienti.gdpr_views.roles.is_manager", lambda user: True)
    checks = by_id(security_audit.check_gdpr_endpoints())
    assert checks["gdpr-erasure"]["result"] == "fail"
    assert "the adviser (no manager) POST erase: 302" in checks["gdpr-erasure"]["evidence"]


def test_command_prints_one_json_line(case, capsys):
    call_command("audit_app")
    lines = [
        line
        for line in capsys.readouterr().out.splitlines()
        if line.startswith('{"hypoteky_audit"')
    ]
    assert len(lines) == 1
    assert len(json.loads(lines[0])["hypoteky_audit"]) == 6
