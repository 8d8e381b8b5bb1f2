"""Production settings: PostgreSQL, HTTPS only, MFA for every organization.

Every secret comes from the environment; a missing one stops the process at start-up
rather than falling back to a file on disk.
"""

from __future__ import annotations

import os

import dj_database_url

from ketaclinic.settings import *  # noqa: F403
from ketaclinic.settings import env_list


def required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} must be set in production.")
    return value


DEBUG = False
SECRET_KEY = required("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "")
KETACLINIC_AUDIT_ACTIVE_KEY_ID = os.environ.get("KETACLINIC_AUDIT_KEY_ID", "k1")
KETACLINIC_AUDIT_KEYS = {
    **dict(item.split(":", 1) for item in env_list("KETACLINIC_AUDIT_RETIRED_KEYS", "") if ":" in item),
    KETACLINIC_AUDIT_ACTIVE_KEY_ID: required("KETACLINIC_AUDIT_KEY"),
}
KETACLINIC_MFA_ALWAYS_REQUIRED = True

SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 63072000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

DATABASES = {"default": dj_database_url.parse(required("DATABASE_URL"), conn_max_age=60, conn_health_checks=True)}

MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": os.environ.get("EMAIL_HOST", "localhost"),
            "port": int(os.environ.get("EMAIL_PORT", "587")),
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": True,
        },
    }
}
