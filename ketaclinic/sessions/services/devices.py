"""Registering the vital-signs monitors that post readings, and retiring them."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import EntryFacts, audit_event_record
from ketaclinic.clinics.models import TreatmentCenter
from ketaclinic.core.errors import Conflict, RuleViolation
from ketaclinic.core.tokens import token_digest
from ketaclinic.sessions.models import MonitorDevice


@transaction.atomic
def monitor_device_register(*, center: TreatmentCenter, label: str, by: str) -> tuple[MonitorDevice, str]:
    """A new monitor for the center and its token, shown this once; only its digest is kept."""
    if not label.strip():
        raise RuleViolation(_("Name the monitor (for example the chair it serves)."), code="label_required")
    token = secrets.token_urlsafe(32)
    device = MonitorDevice.objects.create(center=center, label=label.strip(), token_hash=token_digest(token))
    _record(device, AuditAction.MONITOR_DEVICE_REGISTERED, by)
    return device, token


@transaction.atomic
def monitor_device_retire(*, device: MonitorDevice, by: str) -> MonitorDevice:
    """Stop a monitor's token working (lost, replaced, or leaked); its readings stay."""
    device = MonitorDevice.objects.select_for_update().get(pk=device.pk)
    if not device.is_active:
        raise Conflict(_("This monitor is already retired."), code="already_retired")
    device.is_active = False
    device.save(update_fields=["is_active"])
    _record(device, AuditAction.MONITOR_DEVICE_RETIRED, by)
    return device


def _record(device: MonitorDevice, action: AuditAction, by: str) -> None:
    audit_event_record(
        EntryFacts(
            kind="change",
            action=action,
            actor=None,
            actor_label=by,
            center_id=device.center_id,
            object_type=device._meta.label_lower,
            object_id=str(device.external_id),
            changes={"label": device.label, "is_active": device.is_active},
        )
    )
