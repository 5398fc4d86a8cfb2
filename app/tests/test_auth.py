"""Login, TOTP for administrators, the OTP-only admin, brute-force lockout."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from hypoteky.proxy import client_ip
from klienti.models import AuditEntry

from .conftest import PASSWORD, totp_token

pytestmark = pytest.mark.django_db


def login(client, username, password=PASSWORD, token="", **extra):
    return client.post(
        "/login/", {"username": username, "password": password, "otp_token": token}, **extra
    )


def test_an_adviser_logs_in_with_password_only(adviser):
    client = Client()
    response = login(client, adviser.username)
    assert response.status_code == 302 and response.url == reverse("klienti:dashboard")
    assert client.get(reverse("klienti:dashboard")).status_code == 200


def test_an_administrator_without_an_authenticator_cannot_log_in(administrator):
    client = Client()
    response = login(client, administrator.username)
    assert response.status_code == 200
    assert "nemá nastavenou ověřovací aplikaci" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_administrator_needs_a_valid_totp_token(administrator, administrator_device):
    client = Client()
    missing = login(client, administrator.username)
    assert "vyžaduje jednorázový kód" in missing.content.decode()
    wrong = login(client, administrator.username, token="000000")
    assert "Jednorázový kód není platný." in wrong.content.decode()
    assert "_auth_user_id" not in client.session
    administrator_device.refresh_from_db()
    administrator_device.throttle_reset()  # django-otp slows down retries after a failure
    ok = login(client, administrator.username, token=totp_token(administrator_device))
    assert ok.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_password_only_session_of_an_administrator_is_thrown_out(administrator):
    client = Client()
    client.force_login(administrator)  # password verified, no second factor
    response = client.get("/admin/")
    assert response.status_code == 302 and "otp=required" in response.url
    assert "_auth_user_id" not in client.session


def test_the_admin_refuses_unverified_staff(administrator, administrator_device):
    client = Client()
    client.force_login(administrator)
    assert client.get("/admin/klienti/klient/").status_code == 302


def test_an_adviser_who_enrolled_an_authenticator_must_use_it(adviser):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=adviser, name="phone", confirmed=True)
    client = Client()
    assert login(client, adviser.username).status_code == 200
    assert login(client, adviser.username, token=totp_token(device)).status_code == 302


def test_logins_lock_out_after_five_failures_per_user_and_address(adviser):
    client = Client()
    behind_proxy = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    for _ in range(4):
        assert login(client, adviser.username, "wrong", **behind_proxy).status_code == 200
    assert login(client, adviser.username, "wrong", **behind_proxy).status_code == 429
    locked = login(client, adviser.username, **behind_proxy)  # even the right password
    assert locked.status_code == 429
    assert "Příliš mnoho neúspěšných přihlášení" in locked.content.decode()
    # Another client address behind the same proxy is not locked out.
    other = login(Client(), adviser.username, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert other.status_code == 302


def test_client_address_comes_from_the_trusted_proxy_hop(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1")
    request.META["HTTP_X_FORWARDED_FOR"] = "10.9.9.9, 198.51.100.7"  # first part is spoofable
    assert client_ip(request) == "198.51.100.7"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "10.9.9.9"
    settings.TRUSTED_PROXY_COUNT = 3
    assert client_ip(request) == "127.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "127.0.0.1"


def test_behind_the_proxy_https_requests_are_not_redirected(settings, adviser):
    settings.SECURE_SSL_REDIRECT = True
    client = Client()
    assert client.get("/login/").status_code == 301  # plain http: redirect to https
    assert client.get("/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 200


def test_logout_is_a_post(adviser):
    client = Client()
    client.force_login(adviser)
    assert client.post("/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_admin_search_uses_the_blind_index_and_saves_are_audited(
    administrator, administrator_device, case, other_case
):
    client = Client()
    login(client, administrator.username, token=totp_token(administrator_device))
    page = client.get("/admin/klienti/klient/", {"q": case.full_name.lower()}).content.decode()
    assert case.reference in page and other_case.reference not in page
    assert case.full_name not in page  # the change list shows no personal data
    by_id = client.get("/admin/klienti/klient/", {"q": str(other_case.pk)}).content.decode()
    assert other_case.reference in by_id
    detail = client.get(f"/admin/klienti/klient/{case.pk}/change/")
    assert case.full_name in detail.content.decode()
    for url in ["/admin/klienti/auditentry/", "/admin/klienti/notifikacelog/",
                "/admin/klienti/casestep/", "/admin/klienti/encryptioncanary/"]:  # fmt: skip
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/klienti/auditentry/add/").status_code == 403
    client.post(f"/admin/klienti/klient/{other_case.pk}/delete/", {"post": "yes"})
    deleted = AuditEntry.objects.get(klient_id=other_case.pk, action="deleted")
    assert deleted.actor == administrator
