# Run by roles/pilot as `hypoteky-manage shell -c` with JSON on stdin:
# {"cases": N, "advisers": K, "seed": bool}. Counts the demo advisers' cases
# and, with "seed", adds the difference up to N. Prints one line of JSON.
# The app's seed_demo_data would give every demo user a new password; here
# they keep the one they have (none, for new users: the pilot needs none).
import json
import sys
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from klienti import demo
from klienti.models import Klient

request = json.loads(sys.stdin.read())
demo_cases = Klient.objects.filter(adviser__username__regex=r"^poradce[0-9]+$")
before = demo_cases.count()
missing = max(0, request["cases"] - before)
seeded, seconds = 0, 0.0
if request["seed"] and missing:
    manager = get_user_model().objects.filter(username="manazer").first()
    password_hash = manager.password if manager else make_password(None)
    began = time.monotonic()
    # Another random seed than the first batch's, so the added cases differ.
    seeded = demo.seed(missing, password_hash, advisers=request["advisers"], seed_value=before + 1)["cases"]
    seconds = round(time.monotonic() - began, 1)
print(
    json.dumps(
        {
            "before": before,
            "missing": missing,
            "seeded": seeded,
            "seconds": seconds,
            "after": demo_cases.count(),
            "total": Klient.objects.count(),
        }
    )
)
