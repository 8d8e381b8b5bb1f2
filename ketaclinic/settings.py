"""Settings for ketaclinic, read from the environment (12-factor).

The defaults run the embedded demo: SQLite in WAL mode, DEBUG off unless asked for,
multi-factor sign-in per organization. ``ketaclinic.settings_production`` hardens them.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KETACLINIC_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


def read_local_secret(name: str) -> str:
    """Read, or create once, a secret file under var/ for the embedded default.

    Production sets these through the environment instead (see settings_production).
    """
    path = VAR_DIR / "secrets" / name
    if not path.exists():
        import secrets

        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or read_local_secret("django_secret_key")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks_db",
    "ketaclinic.accounts",
    "ketaclinic.clinics",
    "ketaclinic.staff",
    "ketaclinic.patients",
    "ketaclinic.audit",
    "ketaclinic.backups",
    "ketaclinic.measures",
    "ketaclinic.portal",
    "ketaclinic.intake",
    "ketaclinic.treatment",
    "ketaclinic.sessions",
    "ketaclinic.pharmacy",
    "ketaclinic.messaging",
    "ketaclinic.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "ketaclinic.audit.context.RequestOriginMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "ketaclinic.staff.middleware.IdleTimeoutMiddleware",
    "ketaclinic.staff.middleware.MultiFactorRequiredMiddleware",
    "ketaclinic.clinics.middleware.CenterTimeZoneMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "ketaclinic.http_errors.DomainErrorMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ketaclinic.urls"
WSGI_APPLICATION = "ketaclinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "ketaclinic" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ketaclinic.clinics.context_processors.active_center",
            ],
        },
    },
]

# The embedded default is a SQLite file; production sets DATABASE_URL to PostgreSQL.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'ketaclinic.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the one writer; synchronous=FULL makes every commit
        # durable across a power cut, which a medical record needs more than speed.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;"
        ),
        # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of one
        # failing halfway with "database is locked".
        "transaction_mode": "IMMEDIATE",
    }
    # A file, not memory, so tests with threads (concurrent monitor retries) get real locking.
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SQLITE_TEST_NAME") or str(VAR_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lockout after repeated failed sign-ins (django-axes), by user name and by client address;
# the rule is in ketaclinic/accounts/lockout.py and docs/operations.md. A name is locked after
# KETACLINIC_LOCKOUT_FAILURES failures for it; an address after the higher
# KETACLINIC_LOCKOUT_ADDRESS_FAILURES across names, except for names that signed in there before.
AXES_HANDLER = "ketaclinic.accounts.lockout.SignInLockout"
AXES_FAILURE_LIMIT = int(os.environ.get("KETACLINIC_LOCKOUT_FAILURES", "5"))
KETACLINIC_LOCKOUT_ADDRESS_FAILURES = int(os.environ.get("KETACLINIC_LOCKOUT_ADDRESS_FAILURES", "20"))
AXES_COOLOFF_TIME = float(os.environ.get("KETACLINIC_LOCKOUT_HOURS", "0.5"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# The client's address as the trusted proxies report it (KETACLINIC_TRUSTED_PROXIES), as in audit entries.
AXES_CLIENT_IP_CALLABLE = "ketaclinic.audit.context.client_ip"
AXES_RESET_ON_SUCCESS = True
# A try turned away by a lock is not counted, so retrying while locked adds nothing to one's name.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"

# Staff are signed out after this many idle minutes (the issue's default is 15).
KETACLINIC_IDLE_TIMEOUT_MINUTES = int(os.environ.get("KETACLINIC_IDLE_TIMEOUT_MINUTES", "15"))
# Production turns this on for every organization, whatever the organization's own setting.
KETACLINIC_MFA_ALWAYS_REQUIRED = env_bool("KETACLINIC_MFA_ALWAYS_REQUIRED", False)
OTP_TOTP_ISSUER = "ketaclinic"

# How long a break-the-glass grant lasts before it must be asked for again.
KETACLINIC_EMERGENCY_ACCESS_MINUTES = int(os.environ.get("KETACLINIC_EMERGENCY_ACCESS_MINUTES", "60"))

# Recording who read which patient. Only tests and benchmarks turn it off, to measure its
# cost; a system check refuses to start production with it off.
KETACLINIC_ACCESS_AUDIT = env_bool("KETACLINIC_ACCESS_AUDIT", True)

# The audit chain's HMAC keys live outside the database, so someone with database access
# alone cannot rewrite history and recompute the chain. Key ids allow rotation.
KETACLINIC_AUDIT_KEYS = {
    os.environ.get("KETACLINIC_AUDIT_KEY_ID", "k1"): os.environ.get("KETACLINIC_AUDIT_KEY")
    or read_local_secret("audit_hmac_key")
}
KETACLINIC_AUDIT_ACTIVE_KEY_ID = os.environ.get("KETACLINIC_AUDIT_KEY_ID", "k1")
# After a rotation the old keys stay, read-only, so older entries still verify:
# KETACLINIC_AUDIT_RETIRED_KEYS="k1:old-secret,k2:older-secret".
KETACLINIC_AUDIT_KEYS |= dict(
    item.split(":", 1) for item in env_list("KETACLINIC_AUDIT_RETIRED_KEYS", "") if ":" in item
)
# Number of reverse proxies in front of the app whose X-Forwarded-For may be trusted.
KETACLINIC_TRUSTED_PROXIES = int(os.environ.get("KETACLINIC_TRUSTED_PROXIES", "0"))

SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("KETACLINIC_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# A strict policy: nothing inline, nothing from elsewhere. HTMX is served from our own static.
SECURE_CSP = {
    "default-src": [CSP.NONE],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LANGUAGE_CODE = "en-us"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "ketaclinic" / "locale"]
TIME_ZONE = "America/Los_Angeles"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "ketaclinic" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG or env_bool("KETACLINIC_PLAIN_STATIC", False):
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
MEDIA_ROOT = VAR_DIR / "media"

MAILERS: dict[str, dict[str, object]] = {
    "default": {
        "BACKEND": os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"),
    }
}
KETACLINIC_SMS_BACKEND = os.environ.get(
    "KETACLINIC_SMS_BACKEND", "ketaclinic.messaging.sending.ConsoleTextMessageBackend"
)
# Where links in messages to patients point (the public address of this installation).
KETACLINIC_PUBLIC_URL = os.environ.get("KETACLINIC_PUBLIC_URL", "http://127.0.0.1:8000")
# Public consultation requests: at most this many per address per hour (abuse protection).
KETACLINIC_INQUIRIES_PER_HOUR = int(os.environ.get("KETACLINIC_INQUIRIES_PER_HOUR", "5"))
# A person takes longer than this to fill the form in; a script posting at once does not.
KETACLINIC_INQUIRY_MIN_SECONDS = int(os.environ.get("KETACLINIC_INQUIRY_MIN_SECONDS", "3"))
# How long a questionnaire link sent to a patient stays valid.
KETACLINIC_QUESTIONNAIRE_LINK_HOURS = int(os.environ.get("KETACLINIC_QUESTIONNAIRE_LINK_HOURS", "72"))
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "ketaclinic@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}
