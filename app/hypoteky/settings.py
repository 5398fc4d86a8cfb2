"""The one settings module. Everything that differs between machines comes from
HYPOTEKY_* environment variables (see README.md); defaults are the secure,
production ones, so forgetting a variable never opens a hole."""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(f"HYPOTEKY_{name}", default)


def env_required(name: str) -> str:
    value = env(name).strip()
    if not value:
        raise ImproperlyConfigured(
            f"HYPOTEKY_{name} is not set. It is required; see app/README.md "
            f"(in production it comes from /etc/hypoteky/hypoteky.env)."
        )
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = env(name).strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"HYPOTEKY_{name} must be true or false, not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = env(name).strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(
            f"HYPOTEKY_{name} must be a whole number, not {raw!r}."
        ) from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


SECRET_KEY = env_required("SECRET_KEY")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Field encryption: comma-separated Fernet keys; the first encrypts, all decrypt.
FIELD_ENCRYPTION_KEY = env_list("FIELD_ENCRYPTION_KEYS")
if not FIELD_ENCRYPTION_KEY:
    env_required("FIELD_ENCRYPTION_KEYS")
BLIND_INDEX_KEY = env_required("BLIND_INDEX_KEY")
if BLIND_INDEX_KEY in FIELD_ENCRYPTION_KEY:
    raise ImproperlyConfigured("HYPOTEKY_BLIND_INDEX_KEY must differ from the encryption keys.")

INSTALLED_APPS = [
    "hypoteky.apps.OTPAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "klienti.apps.KlientiConfig",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    # /healthz and /readyz: answered before host checks, HTTPS redirect and login.
    "klienti.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "hypoteky.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "klienti.middleware.RequireOTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hypoteky.urls"
WSGI_APPLICATION = "hypoteky.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "klienti.context_processors.user_roles",
            ],
        },
    },
    {
        # The dashboard, case list and case detail: see hypoteky/jinja2.py.
        "NAME": "jinja2",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "hypoteky.jinja2.environment",
            "context_processors": [
                "hypoteky.jinja2.csrf_input_once",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "klienti.context_processors.user_roles",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.mysql",
        "NAME": env("DB_NAME", "hypoteky"),
        "USER": env("DB_USER", "hypoteky"),
        "PASSWORD": env("DB_PASSWORD"),
        # A path starting with "/" is a unix socket.
        "HOST": env("DB_HOST", "localhost"),
        "PORT": env("DB_PORT"),
        "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            "charset": "utf8mb4",
            "init_command": "SET sql_mode='STRICT_TRANS_TABLES'",
        },
        "TEST": {
            "NAME": env("TEST_DB_NAME") or None,
            "CHARSET": "utf8mb4",
            "COLLATION": "utf8mb4_unicode_ci",
        },
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses locked-out credentials before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "klienti:dashboard"
LOGOUT_REDIRECT_URL = "login"

# Brute-force protection. Behind nginx the client address is taken from
# X-Forwarded-For, trusting exactly HYPOTEKY_TRUSTED_PROXY_COUNT proxies.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1)
AXES_CLIENT_IP_CALLABLE = "hypoteky.proxy.client_ip"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

OTP_TOTP_ISSUER = env("OTP_ISSUER", "Hypotéky CRM")

LANGUAGE_CODE = "cs"
LANGUAGES = [("cs", _("Czech")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "klienti" / "locale"]
TIME_ZONE = "Europe/Prague"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env("STATIC_ROOT", str(BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", True)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# HTTPS behind nginx: nginx terminates TLS and sets X-Forwarded-Proto, without
# which Django would redirect to https forever.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "hypoteky@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

CASES_PER_PAGE = env_int("CASES_PER_PAGE", 25)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "hypoteky.logging.RequestContextFilter"}},
    "formatters": {"json": {"()": "hypoteky.logging.JsonFormatter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
            "filters": ["request_context"],
        }
    },
    "root": {"handlers": ["stdout"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        # SQL parameters are encrypted values and blind indexes: never log them.
        "django.db.backends": {"level": "WARNING", "propagate": True},
        "axes": {"level": "WARNING", "propagate": True},
    },
}

# REST API (klienti.api): token for scripts, session for the browser, no Basic auth.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "klienti.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["klienti.api.permissions.IsCrmUser"],
    "DEFAULT_THROTTLE_CLASSES": [
        "klienti.api.throttling.AnonThrottle",
        "klienti.api.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", "30/minute"),
        "user": env("API_THROTTLE_USER", "1200/minute"),
    },
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "klienti.api.pagination.CasePagination",
    "PAGE_SIZE": CASES_PER_PAGE,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "klienti.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hypotéky CRM API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"StepNumberEnum": "klienti.steps.STEP_CHOICES"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "klienti.api.schema.add_error_responses",
    ],
}

# GDPR: closed cases are erased this many days after closing (gdpr_purge);
# erasures are also appended to this file, kept outside database backups.
GDPR_RETENTION_DAYS = env_int("GDPR_RETENTION_DAYS", 3650)
GDPR_ERASURE_LOG = env("GDPR_ERASURE_LOG")

# Notifications: digest horizon in days; base URL for links in e-mails.
NOTIFICATION_DAYS = env_int("NOTIFICATION_DAYS", 3)
SITE_URL = env("SITE_URL").rstrip("/")
# Attachment of the weekly pipeline e-mail: csv or xlsx.
REPORTING_FORMAT = env("REPORTING_FORMAT", "csv")

# Error reports to Sentry: off unless HYPOTEKY_SENTRY_DSN is set; events are
# stripped of personal data before they leave (hypoteky/sentry.py).
SENTRY_DSN = env("SENTRY_DSN").strip()
if SENTRY_DSN:
    from hypoteky import sentry

    sentry.init(SENTRY_DSN, environment=env("SENTRY_ENVIRONMENT", "production"))
