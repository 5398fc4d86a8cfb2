"""Post-deployment smoke credentials: short-lived, password-less, revocable."""

import io
import json

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from klienti import roles, smoke

pytestmark = pytest.mark.django_db


def issue(capsys, ttl=300):
    call_command("smoke_credentials", "--ttl", str(ttl))
    return json.loads(capsys.readouterr().out)


def session_client(credentials):
    client = Client()
    client.cookies[credentials["session_cookie"]] = credentials["session"]
    return client


def test_issued_session_opens_an_authenticated_page(capsys):
    credentials = issue(capsys)
    response = session_client(credentials).get("/prehled/")
    assert response.status_code == 200
    assert response.wsgi_request.user.username == smoke.SMOKE_USERNAME


def test_issued_token_lists_no_case_of_another_adviser(capsys, case):
    credentials = issue(capsys)
    response = Client().get("/api/klienti/", HTTP_AUTHORIZATION=f"Token {credentials['token']}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["count"] == 0


def test_smoke_account_cannot_log_in_with_a_password_and_is_no_staff(capsys):
    issue(capsys)
    user = User.objects.get(username=smoke.SMOKE_USERNAME)
    assert not user.has_usable_password()
    assert not user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == [roles.ADVISER]


def test_issuing_again_repairs_a_tampered_smoke_account(capsys):
    issue(capsys)
    user = User.objects.get(username=smoke.SMOKE_USERNAME)
    user.set_password("guessable")
    user.is_staff = True
    user.save()
    issue(capsys)
    user.refresh_from_db()
    assert not user.has_usable_password() and not user.is_staff


def test_revoke_ends_the_session_and_the_token(capsys, monkeypatch):
    credentials = issue(capsys)
    other = issue(capsys)
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(credentials)))
    call_command("smoke_credentials", "--revoke")
    assert json.loads(capsys.readouterr().out) == {"revoked": 2}

    page = session_client(credentials).get("/prehled/")
    assert page.status_code == 302 and "/login/" in page["Location"]
    api = Client().get("/api/klienti/", HTTP_AUTHORIZATION=f"Token {credentials['token']}")
    assert api.status_code == 401
    # Credentials issued to another web host's smoke test still work.
    assert session_client(other).get("/prehled/").status_code == 200


def test_revoke_refuses_input_that_is_not_the_issued_json(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("not json"))
    with pytest.raises(CommandError, match="expects the JSON that issuing printed"):
        call_command("smoke_credentials", "--revoke")


@pytest.mark.parametrize("ttl", [0, 3601])
def test_a_ttl_out_of_range_is_refused(ttl):
    with pytest.raises(CommandError, match="ttl must be between 1 second and 1:00:00"):
        call_command("smoke_credentials", "--ttl", str(ttl))
