import json

import pytest
from django.db import connection
from django.test import override_settings

from klienti import health
from klienti.encryption import CANARY_PLAINTEXT
from klienti.models import EncryptionCanary

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok_without_database_or_login(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}


def test_readyz_reports_every_check_ok(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "migrations", "encryption"}
    assert all(check["ok"] for check in body["checks"].values())


@override_settings(ALLOWED_HOSTS=["crm.example"], SECURE_SSL_REDIRECT=True)
def test_probes_answer_on_loopback_over_plain_http(client):
    """A probe from the host itself sends Host: 127.0.0.1 and no TLS."""
    for path in ("/healthz", "/readyz"):
        response = client.get(path, HTTP_HOST="127.0.0.1:8000")
        assert response.status_code == 200, path
    # Everything else still gets the normal host check.
    assert client.get("/admin/", HTTP_HOST="127.0.0.1:8000").status_code == 400


def test_readyz_fails_when_the_canary_does_not_decrypt(client):
    from cryptography.fernet import Fernet

    wrong = Fernet(Fernet.generate_key()).encrypt(CANARY_PLAINTEXT.encode()).decode()
    table = connection.ops.quote_name(EncryptionCanary._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET value = %s", [wrong])  # noqa: S608
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["encryption"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True
    assert CANARY_PLAINTEXT not in json.dumps(body)


def test_readyz_fails_when_a_migration_is_missing(client, monkeypatch):
    monkeypatch.setattr(
        health.MigrationExecutor, "migration_plan", lambda self, targets: [("x", False)]
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == {
        "ok": False,
        "detail": "1 unapplied migration(s)",
    }


def test_readyz_fails_without_database(client, monkeypatch):
    from django.db import OperationalError

    def broken_cursor(*args, **kwargs):
        raise OperationalError("(2002) cannot connect")

    monkeypatch.setattr(health.connection, "cursor", broken_cursor)
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == {"ok": False, "detail": "unreachable: OperationalError"}
    assert checks["encryption"]["ok"] is False


def test_migration_check_reports_unreadable_history(monkeypatch):
    from django.db import OperationalError

    def broken(self, targets):
        raise OperationalError("gone")

    monkeypatch.setattr(health.MigrationExecutor, "migration_plan", broken)
    assert health.check_migrations() == {
        "ok": False,
        "detail": "cannot read migrations: OperationalError",
    }


def test_probe_paths_only_answer_get(client):
    response = client.post("/healthz")
    assert response.status_code != 200 or response.get("Content-Type") != "application/json"
