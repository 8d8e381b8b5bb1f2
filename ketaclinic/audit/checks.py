from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def access_audit_is_on(app_configs: Any, **kwargs: Any) -> list[Error]:
    if settings.KETACLINIC_ACCESS_AUDIT:
        return []
    return [
        Error(
            "KETACLINIC_ACCESS_AUDIT is off: reads of patient data would go unrecorded.",
            hint="Unset KETACLINIC_ACCESS_AUDIT; it exists only to measure the audit's cost.",
            id="ketaclinic.E001",
        )
    ]


@register(Tags.security, deploy=True)
def audit_key_is_not_local(app_configs: Any, **kwargs: Any) -> list[Error]:
    key = settings.KETACLINIC_AUDIT_KEYS.get(settings.KETACLINIC_AUDIT_ACTIVE_KEY_ID, "")
    if len(key) >= 32:
        return []
    return [
        Error(
            "The audit HMAC key is missing or shorter than 32 characters.",
            hint="Set KETACLINIC_AUDIT_KEY from a secret store, outside the database.",
            id="ketaclinic.E002",
        )
    ]
