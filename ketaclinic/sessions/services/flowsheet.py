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

# How long before its booked start a reading or an intervention can still belong to a session
# (an early arrival's pre-dose vitals); anything earlier is a typing slip (project default).
SESSION_LEAD_TIME = dt.timedelta(hours=2)


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
    measured_at = measured_at or timezone.now()
    if measured_at > timezone.now() + dt.timedelta(minutes=1):
        raise RuleViolation(_("A reading cannot be in the future."), code="reading_in_future")
    if measured_at < session.starts_at - SESSION_LEAD_TIME:
        raise RuleViolation(
            _("A reading must be from this session, not more than 2 hours before it starts."),
            code="reading_before_session",
        )
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
