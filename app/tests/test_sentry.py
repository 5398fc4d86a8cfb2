"""Sentry error reports carry no personal data, and Sentry stays off without a DSN."""

import json

import pytest
import sentry_sdk
from django.db import connection
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import path
from sentry_sdk.transport import Transport

from hypoteky import sentry

BIRTH_NUMBER = "8562151239"
EMAIL = "bohuslava.zurnalova@example.cz"
NAME = "Bohuslava Zurnalova"


class CapturingTransport(Transport):
    def __init__(self):
        super().__init__()
        self.envelopes = []

    def capture_envelope(self, envelope):
        self.envelopes.append(envelope)

    def events(self):
        return [
            json.loads(item.payload.get_bytes())
            for envelope in self.envelopes
            for item in envelope.items
            if item.type == "event"
        ]


def failing_view(request):
    client_name = NAME  # a local variable with personal data
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s", [BIRTH_NUMBER])  # a SQL breadcrumb with a value
    raise ValueError(f"cannot save {client_name} {BIRTH_NUMBER} {EMAIL}")


def ok_view(request):
    return HttpResponse("ok")


urlpatterns = [path("boom/", failing_view), path("ok/", ok_view)]


@pytest.fixture
def capture():
    transport = CapturingTransport()
    sentry.init("https://public@sentry.invalid/1", environment="test", transport=transport)
    yield transport
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


def test_sentry_is_off_without_a_dsn(settings):
    assert settings.SENTRY_DSN == ""
    assert not sentry_sdk.get_client().is_active()


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"], SECURE_SSL_REDIRECT=False)
def test_an_error_reaches_sentry_without_personal_data(capture):
    client = Client(raise_request_exception=False)
    client.cookies["hypoteky_note"] = EMAIL
    response = client.post(
        f"/boom/?search={BIRTH_NUMBER}",
        {"full_name": NAME, "birth_number": BIRTH_NUMBER},
        HTTP_X_CLIENT_EMAIL=EMAIL,
    )
    assert response.status_code == 500
    sentry_sdk.flush()
    events = capture.events()
    assert len(events) == 1
    event = events[0]
    assert event["exception"]["values"][-1]["type"] == "ValueError"
    assert set(event.get("request", {})) <= {"method", "url"}
    assert [crumb["category"] for crumb in event["breadcrumbs"]["values"]] == ["query"]
    text = json.dumps(event, ensure_ascii=False)
    for value in (BIRTH_NUMBER, EMAIL, NAME, "Zurnalova"):
        assert value not in text


def test_scrub_event_keeps_the_fault_and_drops_the_values():
    event = {
        "request": {
            "method": "GET",
            "url": "https://crm.example.cz/api/klienti/",
            "query_string": f"search={EMAIL}",
            "data": {"q": BIRTH_NUMBER},
            "cookies": {"sessionid": "s"},
            "headers": {"Referer": f"https://crm.example.cz/?q={EMAIL}"},
            "env": {"REMOTE_ADDR": "192.0.2.1"},
        },
        "user": {"id": 7, "email": EMAIL, "username": "poradce01", "ip_address": "192.0.2.1"},
        "exception": {
            "values": [
                {
                    "type": "IntegrityError",
                    "value": f"Duplicate entry '{BIRTH_NUMBER}'",
                    "stacktrace": {"frames": [{"function": "save", "vars": {"email": EMAIL}}]},
                }
            ]
        },
        "threads": {"values": [{"stacktrace": {"frames": [{"vars": {"name": NAME}}]}}]},
        "logentry": {
            "message": "saving case %s",
            "params": [NAME],
            "formatted": f"saving case {NAME}",
        },
        "extra": {"form": {"email": EMAIL}},
        "breadcrumbs": {
            "values": [
                {
                    "category": "query",
                    "message": f"SELECT '{BIRTH_NUMBER}'",
                    "data": {"params": [BIRTH_NUMBER]},
                },
                {"category": "django", "level": "info", "message": f"saved {NAME}", "timestamp": 1},
            ]
        },
    }
    scrubbed = sentry.scrub_event(event)
    assert scrubbed["request"] == {"method": "GET", "url": "https://crm.example.cz/api/klienti/"}
    assert scrubbed["user"] == {"id": 7}
    assert scrubbed["exception"]["values"][0]["type"] == "IntegrityError"
    assert scrubbed["exception"]["values"][0]["stacktrace"]["frames"][0]["function"] == "save"
    assert scrubbed["logentry"] == {"message": "saving case %s", "formatted": "saving case %s"}
    assert scrubbed["breadcrumbs"]["values"] == [
        {"category": "query"},
        {"category": "django", "level": "info", "timestamp": 1},
    ]
    text = json.dumps(scrubbed, ensure_ascii=False)
    for value in (BIRTH_NUMBER, EMAIL, NAME, "192.0.2.1", "sessionid"):
        assert value not in text


def test_scrub_event_handles_breadcrumbs_as_a_list_and_a_user_without_id():
    scrubbed = sentry.scrub_event(
        {"breadcrumbs": [{"category": "query", "data": {"p": EMAIL}}], "user": {"email": EMAIL}}
    )
    assert scrubbed == {"breadcrumbs": [{"category": "query"}], "user": {}}
