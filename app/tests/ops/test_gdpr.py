import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from klienti import gdpr, services
from klienti.models import (
    ApiToken,
    AuditAction,
    AuditEntry,
    CaseStep,
    ErasureLog,
    Klient,
    NotifikaceLog,
    Status,
)

from .fixtures import make_case

pytestmark = pytest.mark.django_db


def unzip(content: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {
            name: archive.read(name).decode()
            if name.endswith(".txt")
            else json.loads(archive.read(name))
            for name in archive.namelist()
        }


def token_client(user):
    api = APIClient()
    _t, raw = ApiToken.objects.issue(user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return api


def test_export_contains_decrypted_case_steps_notifications_and_audit(adviser, case):
    services.complete_step(adviser, case, 1, "Klient dodal výpisy")
    NotifikaceLog.objects.create(
        recipient=adviser, notification_type="deadline_digest", klient_id=case.pk, success=True
    )
    _name, content = gdpr.export_case(adviser, case)
    files = unzip(content)
    assert files["case.json"]["full_name"] == case.full_name
    assert files["case.json"]["birth_number"] == case.birth_number
    assert files["case.json"]["reference"] == case.reference
    assert len(files["steps.json"]) == 15
    assert files["steps.json"][0]["note"] == "Klient dodal výpisy"
    assert files["notifications.json"][0]["notification_type"] == "deadline_digest"
    assert [e["action"] for e in files["audit.json"]][:2] == ["created", "step_completed"]
    assert "README.txt" in files


def test_export_from_the_ui_is_audited(client, adviser, case):
    client.force_login(adviser)
    response = client.get(f"/klienti/{case.pk}/gdpr/export/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert f"{case.reference}-gdpr-export.zip" in response["Content-Disposition"]
    assert unzip(response.content)["case.json"]["email"] == case.email
    entry = AuditEntry.objects.get(klient_id=case.pk, action=AuditAction.EXPORTED)
    assert entry.actor == adviser


def test_export_from_the_api_is_audited(adviser, case):
    response = token_client(adviser).get(f"/api/klienti/{case.pk}/gdpr-export/")
    assert response.status_code == 200
    assert unzip(response.content)["case.json"]["id"] == case.pk
    assert AuditEntry.objects.filter(klient_id=case.pk, action=AuditAction.EXPORTED).count() == 1


def test_other_advisers_export_is_404(client, other_adviser, case):
    client.force_login(other_adviser)
    assert client.get(f"/klienti/{case.pk}/gdpr/export/").status_code == 404
    assert (
        token_client(other_adviser).get(f"/api/klienti/{case.pk}/gdpr-export/").status_code == 404
    )
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORTED).exists()


def test_erasure_blanks_every_personal_field_and_note_but_keeps_finances_and_audit(
    manager, adviser, case
):
    services.complete_step(adviser, case, 1, "tajná poznámka")
    audit_before = AuditEntry.objects.filter(klient_id=case.pk).count()
    gdpr.erase_case(manager, case)
    erased = Klient.objects.get(pk=case.pk)
    for name in gdpr.PERSONAL_FIELDS:
        assert getattr(erased, name) in ("", None), name
    assert erased.name_index == erased.email_index == erased.birth_number_index == ""
    assert erased.status == Status.ERASED and erased.erased_at
    assert erased.loan_amount == case.loan_amount and erased.bank == case.bank
    assert CaseStep.objects.get(klient=case, number=1).note == ""
    assert CaseStep.objects.filter(klient=case).count() == 15
    entries = AuditEntry.objects.filter(klient_id=case.pk)
    assert entries.count() == audit_before + 1
    erasure = entries.get(action=AuditAction.ERASED)
    assert "full_name" in erasure.fields and "steps.1.note" in erasure.fields
    assert ErasureLog.objects.get(klient_id=case.pk).actor_username == manager.username


def test_erased_values_are_gone_from_the_raw_table(manager, case):
    gdpr.erase_case(manager, case)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM klienti_klient WHERE id = %s", [case.pk])
        row = " ".join(str(v) for v in cursor.fetchone())
    assert case.birth_number not in row and "Nováková" not in row


def test_deleting_an_erased_case_keeps_its_audit_trail(manager, adviser, case):
    gdpr.erase_case(manager, case)
    services.delete_case(manager, Klient.objects.get(pk=case.pk))
    assert AuditEntry.objects.filter(klient_id=case.pk, action=AuditAction.ERASED).exists()
    assert ErasureLog.objects.filter(klient_id=case.pk).exists()


def test_only_managers_erase(client, adviser, manager, case):
    client.force_login(adviser)
    assert client.post(f"/klienti/{case.pk}/gdpr/vymazat/").status_code == 404
    assert token_client(adviser).post(f"/api/klienti/{case.pk}/gdpr-erase/").status_code == 403
    client.force_login(manager)
    assert client.get(f"/klienti/{case.pk}/gdpr/vymazat/").status_code == 200
    assert client.post(f"/klienti/{case.pk}/gdpr/vymazat/").status_code == 302
    assert Klient.objects.get(pk=case.pk).status == Status.ERASED


def test_api_erasure(manager, case):
    assert token_client(manager).post(f"/api/klienti/{case.pk}/gdpr-erase/").status_code == 204
    assert Klient.objects.get(pk=case.pk).full_name == ""


def test_erasure_log_file_replays_after_a_restore(manager, adviser, settings, tmp_path, capsys):
    settings.GDPR_ERASURE_LOG = str(tmp_path / "erasures.jsonl")
    first, second = make_case(adviser), make_case(adviser)
    gdpr.erase_case(manager, first)
    gdpr.erase_case(manager, second)
    lines = (tmp_path / "erasures.jsonl").read_text().splitlines()
    assert [json.loads(line)["klient_id"] for line in lines] == [first.pk, second.pk]
    assert first.full_name not in "".join(lines)
    # A restore brings the first case back as it was before the erasure.
    Klient.objects.filter(pk=first.pk).update(
        status=Status.OPEN, full_name="Jana Obnovená", erased_at=None
    )
    ErasureLog.objects.all().delete()
    call_command("gdpr_replay_erasures")
    out = capsys.readouterr().out
    assert f"erased again {first.reference}" in out
    assert "1 replayed, 1 already erased, 0 not in the database" in out
    restored = Klient.objects.get(pk=first.pk)
    assert restored.status == Status.ERASED and restored.full_name == ""
    assert ErasureLog.objects.filter(klient_id=first.pk).count() == 1
    # Replaying does not write the file again.
    assert len((tmp_path / "erasures.jsonl").read_text().splitlines()) == 2


def test_replay_from_database_and_bad_inputs(manager, case, settings, tmp_path, capsys):
    settings.GDPR_ERASURE_LOG = ""
    with pytest.raises(CommandError, match="no erasure log"):
        call_command("gdpr_replay_erasures")
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"klient_id": "x"}\n')
    with pytest.raises(CommandError, match="not an erasure log entry"):
        call_command("gdpr_replay_erasures", "--file", str(broken))
    ErasureLog.objects.create(klient_id=case.pk, reason="request")
    ErasureLog.objects.create(klient_id=999999, reason="request")
    call_command("gdpr_replay_erasures", "--from-database")
    assert "1 replayed, 0 already erased, 1 not in the database" in capsys.readouterr().out


def test_purge_erases_only_closed_cases_past_retention(manager, adviser, settings, capsys):
    settings.GDPR_RETENTION_DAYS = 365
    old = make_case(adviser)
    services.reject_case(adviser, old, "Banka odmítla")
    Klient.objects.filter(pk=old.pk).update(closed_at=timezone.now() - timedelta(days=400))
    recent = make_case(adviser)
    services.reject_case(adviser, recent, "Banka odmítla")
    open_case = make_case(adviser)
    Klient.objects.filter(pk=open_case.pk).update(
        opened_on=timezone.localdate() - timedelta(days=900)
    )

    call_command("gdpr_purge", "--dry-run")
    out = capsys.readouterr().out
    assert f"would erase {old.reference}" in out and recent.reference not in out
    assert Klient.objects.get(pk=old.pk).status == Status.REJECTED

    call_command("gdpr_purge")
    assert "erased 1 case(s) closed more than 365 days ago" in capsys.readouterr().out
    assert Klient.objects.get(pk=old.pk).status == Status.ERASED
    assert ErasureLog.objects.get(klient_id=old.pk).reason == "retention"
    assert Klient.objects.get(pk=recent.pk).status == Status.REJECTED
    assert Klient.objects.get(pk=open_case.pk).status == Status.OPEN


def test_create_api_token_command(adviser, capsys):
    call_command("create_api_token", adviser.username, "--name", "cron")
    raw = capsys.readouterr().out.strip()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert api.get("/api/klienti/").status_code == 200
    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody")
