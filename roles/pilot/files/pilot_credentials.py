# Run by roles/pilot as `hypoteky-manage shell -c` with JSON on stdin:
# {"user": NAME, "ttl": SECONDS, "sample": N, "label": TEXT}. Prints one line
# of JSON: a session and an API token of that user, valid for ttl seconds,
# and the ids of up to N of the cases the user sees (for the detail pages).
# The output is a credential: the role reads it with no_log.
import json
import sys
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from klienti import access
from klienti.operational_models import ApiToken

request = json.loads(sys.stdin.read())
user = get_user_model().objects.filter(username=request["user"], is_active=True).first()
if user is None:
    sys.exit(f"pilot: no active user {request['user']!r}; set pilot_user to a demo adviser")
cases = access.cases_visible_to(user)
ids = list(cases.order_by("-opened_on", "-id").values_list("pk", flat=True)[: request["sample"]])
if not ids:
    sys.exit(f"pilot: {request['user']!r} sees no case; set pilot_user to a demo adviser")
session = import_module(settings.SESSION_ENGINE).SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.set_expiry(int(request["ttl"]))
session.create()
_token, raw = ApiToken.objects.issue(user, request["label"])
print(
    json.dumps(
        {
            "session_cookie": settings.SESSION_COOKIE_NAME,
            "session": session.session_key,
            "token": raw,
            "case_ids": ids,
            "cases_visible": cases.count(),
        }
    )
)
