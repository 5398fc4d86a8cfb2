"""Test settings: the real settings module, fed with keys generated per run.

Imported before anything else touches Django, so the generated keys are in
the environment when hypoteky.settings and the encryption library read them."""

import os
import secrets

from cryptography.fernet import Fernet

os.environ.setdefault("HYPOTEKY_SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("HYPOTEKY_FIELD_ENCRYPTION_KEYS", Fernet.generate_key().decode())
os.environ.setdefault("HYPOTEKY_BLIND_INDEX_KEY", secrets.token_urlsafe(32))
os.environ.setdefault("HYPOTEKY_ALLOWED_HOSTS", "testserver,localhost")
os.environ.setdefault("HYPOTEKY_STATIC_MANIFEST", "false")

from hypoteky.settings import *  # noqa: E402, F403

# Tests talk plain HTTP to the test client; production keeps the redirect.
SECURE_SSL_REDIRECT = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# No collectstatic in tests: WhiteNoise serves straight from the app directories.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
