"""Error reports to Sentry, only when HYPOTEKY_SENTRY_DSN is set, and never
with personal data: the same rule as hypoteky/logging.py. An event keeps
what locates the fault (exception type, stack frames without variables,
request method and path, user id) and loses every value a client's data
could be in: request bodies, query strings, cookies, headers, exception
messages (a database error quotes the values it failed to write), local
variables, log parameters and breadcrumb data (SQL parameters)."""

import logging

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.logging import LoggingIntegration

# Request fields that carry no client data (the path holds ids only: search
# terms travel by POST, see klienti.forms.SearchForm).
_REQUEST_KEEP = ("method", "url")
_BREADCRUMB_KEEP = ("type", "category", "level", "timestamp")


def scrub_event(event, hint=None):
    """before_send: the event without anything that could be personal data."""
    request = event.get("request")
    if request:
        event["request"] = {key: request[key] for key in _REQUEST_KEEP if key in request}
    user = event.get("user")
    if user:
        event["user"] = {"id": user["id"]} if "id" in user else {}
    for exception in (event.get("exception") or {}).get("values", []):
        exception.pop("value", None)
        for frame in (exception.get("stacktrace") or {}).get("frames", []):
            frame.pop("vars", None)
    for thread in (event.get("threads") or {}).get("values", []):
        for frame in (thread.get("stacktrace") or {}).get("frames", []):
            frame.pop("vars", None)
    logentry = event.get("logentry")
    if logentry:
        logentry.pop("params", None)
        if "message" in logentry:
            logentry["formatted"] = logentry["message"]
    event.pop("extra", None)
    breadcrumbs = event.get("breadcrumbs")
    if breadcrumbs:
        values = breadcrumbs["values"] if isinstance(breadcrumbs, dict) else breadcrumbs
        cleaned = [scrub_breadcrumb(crumb) for crumb in values]
        event["breadcrumbs"] = {"values": cleaned} if isinstance(breadcrumbs, dict) else cleaned
    return event


def scrub_breadcrumb(crumb, hint=None):
    """before_breadcrumb: what happened and when, not with which values."""
    return {key: crumb[key] for key in _BREADCRUMB_KEEP if key in crumb}


def init(dsn, environment, release=None, **options):
    """Start the Sentry client; errors only (no performance tracing)."""
    return sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        # Collect nothing that could hold client data in the first place;
        # scrub_event removes what an integration adds anyway.
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "off"}},
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "database_query_data": False,
            "stack_frame_variables": False,
        },
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=0,
        before_send=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
        integrations=[
            DjangoIntegration(),
            LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
        ],
        **options,
    )
