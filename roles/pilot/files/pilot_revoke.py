# Run by roles/pilot as `hypoteky-manage shell -c` with the credentials'
# JSON on stdin (never on a command line): ends that session and that token.
# Prints one line of JSON: how many of the two it ended.
import json
import sys
from importlib import import_module

from django.conf import settings
from django.utils import timezone
from klienti.operational_models import ApiToken, hash_token

credentials = json.loads(sys.stdin.read() or "{}")
ended = 0
store = import_module(settings.SESSION_ENGINE).SessionStore
if credentials.get("session") and store().exists(credentials["session"]):
    store(session_key=credentials["session"]).delete()
    ended += 1
if credentials.get("token"):
    ended += ApiToken.objects.filter(key_hash=hash_token(credentials["token"]), revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
print(json.dumps({"revoked": ended}))
