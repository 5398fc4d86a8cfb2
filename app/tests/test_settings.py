"""Settings from the environment, production defaults, startup checks, logging."""

import importlib
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from hypoteky import settings as settings_module
from hypoteky.logging import JsonFormatter, RequestContextFilter, set_request_user

APP_DIR = Path(__file__).resolve().parent.parent


def production_env(**overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPOTEKY_")}
    env.update(
        DJANGO_SETTINGS_MODULE="hypoteky.settings",
        HYPOTEKY_SECRET_KEY="x" * 20 + "y-z_" * 10 + "0123456789",
        HYPOTEKY_FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        HYPOTEKY_BLIND_INDEX_KEY="a-separate-blind-index-key-for-tests",
        HYPOTEKY_ALLOWED_HOSTS="crm.example.cz",
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def run(args, env):
    return subprocess.run(
        [sys.executable, *args], cwd=APP_DIR, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "missing", ["HYPOTEKY_SECRET_KEY", "HYPOTEKY_FIELD_ENCRYPTION_KEYS", "HYPOTEKY_BLIND_INDEX_KEY"]
)
def test_a_missing_secret_stops_the_start_with_a_clear_message(missing):
    result = run(["manage.py", "check"], production_env(**{missing: None}))
    assert result.returncode != 0
    assert f"{missing} is not set" in result.stderr


def test_the_blind_index_key_must_differ_from_the_encryption_key():
    key = Fernet.generate_key().decode()
    env = production_env(HYPOTEKY_FIELD_ENCRYPTION_KEYS=key, HYPOTEKY_BLIND_INDEX_KEY=key)
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0 and "must differ" in result.stderr


def test_deploy_checks_pass_with_production_settings():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_checks_fail_when_debug_is_switched_on():
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_env(HYPOTEKY_DEBUG="true"),
    )
    assert result.returncode != 0 and "DEBUG" in result.stderr


def test_production_defaults_are_secure():
    code = (
        "import json; from django.conf import settings as s; import django; django.setup();"
        "print(json.dumps([s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE,"
        " s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, list(s.SECURE_PROXY_SSL_HEADER),"
        " s.TIME_ZONE, s.LANGUAGE_CODE, len(s.FIELD_ENCRYPTION_KEY),"
        " s.DATABASES['default']['HOST']]))"
    )
    two_keys = f"{Fernet.generate_key().decode()}, {Fernet.generate_key().decode()}"
    env = production_env(
        HYPOTEKY_FIELD_ENCRYPTION_KEYS=two_keys,
        HYPOTEKY_DB_HOST="/run/mysqld/mysqld.sock",
    )
    result = run(["-c", code], env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        False, True, True, True, 31536000, ["HTTP_X_FORWARDED_PROTO", "https"],
        "Europe/Prague", "cs", 2, "/run/mysqld/mysqld.sock",
    ]  # fmt: skip


def test_malformed_values_are_named_in_the_error(monkeypatch):
    monkeypatch.setenv("HYPOTEKY_DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="HYPOTEKY_DEBUG must be true or false"):
        settings_module.env_bool("DEBUG", False)
    monkeypatch.setenv("HYPOTEKY_EMAIL_PORT", "twenty-five")
    with pytest.raises(ImproperlyConfigured, match="HYPOTEKY_EMAIL_PORT must be a whole number"):
        settings_module.env_int("EMAIL_PORT", 25)
    monkeypatch.setenv("HYPOTEKY_DEBUG", "off")
    assert settings_module.env_bool("DEBUG", True) is False


@pytest.mark.django_db
def test_the_wsgi_entry_point_refuses_a_wrong_key(settings):
    module = importlib.import_module("hypoteky.wsgi")
    assert callable(module.application)
    settings.FIELD_ENCRYPTION_KEY = [Fernet.generate_key().decode()]
    with pytest.raises(ImproperlyConfigured, match="canary"):
        importlib.reload(module)


def _record(msg, *args, **extra):
    record = logging.LogRecord("klienti", logging.INFO, __file__, 1, msg, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_logs_are_json_with_only_safe_extra_fields():
    set_request_user(42)
    record = _record("case %s saved", "HYP-000001", klient_id=1, form_data={"name": "Jan"})
    RequestContextFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "case HYP-000001 saved"
    assert entry["user_id"] == 42 and entry["klient_id"] == 1 and entry["level"] == "INFO"
    assert "form_data" not in entry and "Jan" not in json.dumps(entry)
    set_request_user(None)


def test_logged_exceptions_keep_the_type_and_place_but_not_the_message():
    try:
        raise ValueError("Duplicate entry 'Jan Novák' for key")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    entry = json.loads(JsonFormatter().format(record))
    assert entry["exception"] == "ValueError"
    assert "test_settings.py" in entry["traceback"]
    assert "Novák" not in json.dumps(entry, ensure_ascii=False)
