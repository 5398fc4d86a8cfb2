"""Short-lived credentials for the smoke tests that follow a deployment.

A deployment proves that an authenticated page and the API answer through the
real stack (nginx, gunicorn, database) without any stored password: a service
account that has no usable password and no case of its own gets a session and
an API token for a few minutes, and revoke() ends both once the tests ran.
"""

from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from klienti import roles
from klienti.operational_models import ApiToken, hash_token

SMOKE_USERNAME = "hypoteky-smoke"
SMOKE_TOKEN_LABEL = "post-deployment smoke test"  # noqa: S105 (a label, not a secret)
MAX_TTL = timedelta(hours=1)


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


@transaction.atomic
def smoke_user():
    """The smoke account: an adviser that can never log in with a password."""
    user, created = get_user_model().objects.get_or_create(
        username=SMOKE_USERNAME, defaults={"first_name": "Smoke", "last_name": "Test"}
    )
    if created or user.has_usable_password() or not user.is_active or user.is_staff:
        user.set_unusable_password()
        user.is_active, user.is_staff, user.is_superuser = True, False, False
        user.save()
    user.groups.set([Group.objects.get(name=roles.ADVISER)])
    return user


def issue(ttl: timedelta) -> dict:
    """A session and an API token for the smoke account, both valid for ttl."""
    if not timedelta(0) < ttl <= MAX_TTL:
        raise ValueError(f"ttl must be between 1 second and {MAX_TTL}, not {ttl}")
    user = smoke_user()
    session = _session_store()()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.set_expiry(int(ttl.total_seconds()))
    session.create()
    _token, raw = ApiToken.objects.issue(user, SMOKE_TOKEN_LABEL)
    return {
        "username": user.username,
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "session": session.session_key,
        "token": raw,
    }


def revoke(credentials: dict) -> int:
    """End the session and the token that issue() returned; returns how many.

    Only those two: several web hosts may run smoke tests at the same time,
    each with credentials of its own."""
    ended = 0
    session_key = credentials.get("session")
    if session_key:
        store = _session_store()(session_key=session_key)
        if store.exists(session_key):
            store.delete(session_key)
            ended += 1
    if credentials.get("token"):
        ended += ApiToken.objects.filter(
            user__username=SMOKE_USERNAME,
            key_hash=hash_token(credentials["token"]),
            revoked_at__isnull=True,
        ).update(revoked_at=timezone.now())
    return ended
