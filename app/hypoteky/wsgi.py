import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hypoteky.settings")

application = get_wsgi_application()

# Refuse to serve with field keys that cannot decrypt the data: a wrong key
# would otherwise show ciphertext instead of names without any error.
from klienti.encryption import assert_canary  # noqa: E402

assert_canary()
