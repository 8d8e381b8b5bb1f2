"""Readings entered by hand at the chair, each checked against the thresholds as it is stored."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import audit_change_since
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.authorization import require
from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.monitoring import MEASURES, implausible
from ketaclinic.core.permissions import Perm
from ketaclinic.sessions.models import TreatmentSession, VitalSign
from ketaclinic.sessions.selectors.baseline import session_baseline, session_pre_dose
from ketaclinic.sessions.services.alerts import session_readings_lock
from ketaclinic.sessions.services.ingestion import vital_sign_store
from ketaclinic.sessions.services.reading_window import (
    SESSION_LEAD_TIME,
    reading_time_refusal,
    session_closed_at,
)

__all__ = ["SESSION_LEAD_TIME", "vital_sign_record"]


@transaction.atomic
def vital_sign_record(
    *, actor: Actor, session: TreatmentSession, values: dict[str, Any], measured_at: dt.datetime | None = None
) -> VitalSign:
    """A nurse enters a set of readings by hand; each is checked against the thresholds.

    The reading and its history entry commit together, in one transaction.
    """
    require(actor, Perm.VITALS_RECORD, center_id=session.patient.center_id)
    side_effects = (values.get("side_effects") or "").strip()
    values = {m: values.get(m) for m in MEASURES}
    if all(value is None for value in values.values()) and not side_effects:
        raise RuleViolation(_("Enter at least one reading."), code="empty_reading")
    bad = implausible(values)
    if bad:
        raise RuleViolation(_("These values cannot be right: %(f)s.") % {"f": ", ".join(bad)}, code="bad_reading")
    now = timezone.now()
    measured_at = measured_at or now
    refusal = reading_time_refusal(
        session=session, measured_at=measured_at, now=now, closed_at=session_closed_at(session)
    )
    if refusal is not None:
        raise refusal
    session_readings_lock(session)
    sign = vital_sign_store(
        session=session,
        values=values,
        measured_at=measured_at,
        baseline=session_baseline(session).values,
        pre_dose=session_pre_dose(session),
        key=f"hand-{uuid.uuid4()}",
        source=VitalSign.Source.HAND,
        recorded_by=actor.user,
        side_effects=side_effects,
    )
    assert sign is not None  # a fresh key cannot collide
    audit_change_since(actor=actor, instance=sign, action=AuditAction.VITAL_SIGN_RECORDED, before={})
    return sign
