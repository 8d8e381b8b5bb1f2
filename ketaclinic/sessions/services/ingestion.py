"""Vital signs posted by monitors: stored once per reading, however often a retry sends it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import EntryFacts, audit_entries_write, audit_entry_build
from ketaclinic.core.errors import Forbidden, RuleViolation
from ketaclinic.core.monitoring import MEASURES, check_reading, implausible
from ketaclinic.sessions.models import MonitorDevice, ReadingAlert, TreatmentSession, VitalSign
from ketaclinic.sessions.selectors.baseline import PreDose, session_baseline, session_pre_dose
from ketaclinic.sessions.services.alerts import reading_alerts_settle, session_readings_lock

MAX_BATCH = 500


def vital_sign_store(
    *,
    session: TreatmentSession,
    values: dict[str, Any],
    measured_at: dt.datetime,
    baseline: dict[str, Any],
    key: str,
    source: str,
    device: MonitorDevice | None = None,
    recorded_by: Any = None,
    side_effects: str = "",
    pre_dose: PreDose | None = None,
) -> VitalSign | None:
    """Insert one reading with its threshold alerts, as data; None when its key is already stored.

    The caller holds the session's readings (``session_readings_lock``); the alerts it settles
    (``reading_alerts_settle``) are in the same transaction.
    """
    before_dose = pre_dose.for_reading_at(measured_at) if pre_dose is not None else {}
    alerts = check_reading(values, baseline=baseline, pre_dose=before_dose)
    sign = VitalSign(
        session=session,
        device=device,
        recorded_by=recorded_by,
        source=source,
        measured_at=measured_at,
        idempotency_key=key,
        alerts=[ReadingAlert.raised(alert).as_json() for alert in alerts],
        side_effects=side_effects,
        **values,
    )
    try:
        # Its own savepoint: a concurrent retry that took the key first leaves this one a duplicate.
        with transaction.atomic():
            sign.save()
    except IntegrityError:
        return None
    reading_alerts_settle(sign)
    return sign


@dataclass(slots=True)
class IngestResult:
    created: int = 0
    duplicates: int = 0
    readings: list[VitalSign] = field(default_factory=list)

    @property
    def alerts(self) -> list[ReadingAlert]:
        """The alerts the new readings raised, in time order."""
        return [alert for sign in self.readings for alert in sign.reading_alerts]


@transaction.atomic
def vital_signs_ingest(
    *, device: MonitorDevice, session: TreatmentSession, readings: Sequence[dict[str, Any]]
) -> IngestResult:
    """Store each new reading once; a reading whose key is already stored counts as a duplicate.

    The readings and their audit entries commit together, in one transaction: a failure or a
    crash before the commit leaves neither, so a retry stores them all. Each reading is inserted
    in its own savepoint inside it, so two retries of the same batch arriving together both
    succeed: the second waits for the first to end (the session's lock; on PostgreSQL an insert
    of an uncommitted key waits too), then finds each key committed with its entry (a duplicate)
    or, if the first rolled back, free (stored, with its entry).
    """
    if not device.is_active or device.center_id != session.patient.center_id:
        raise Forbidden(_("This monitor is not registered at the session's center."), code="device_elsewhere")
    if not readings or len(readings) > MAX_BATCH:
        raise RuleViolation(_("Send between 1 and %(n)s readings.") % {"n": MAX_BATCH}, code="batch_size")
    for reading in readings:
        bad = implausible(reading)
        if bad or not str(reading.get("idempotency_key", "")).strip() or reading.get("measured_at") is None:
            raise RuleViolation(
                _("Reading %(key)s is incomplete or impossible (%(fields)s).")
                % {"key": reading.get("idempotency_key", "?"), "fields": ", ".join(bad) or "key or time"},
                code="bad_reading",
            )
    session_readings_lock(session)
    baseline = session_baseline(session)
    pre_dose = session_pre_dose(session)
    result = IngestResult()
    entries = []
    for reading in sorted(readings, key=lambda r: r["measured_at"]):
        values = {m: reading.get(m) for m in MEASURES}
        sign = vital_sign_store(
            session=session,
            values=values,
            measured_at=reading["measured_at"],
            baseline=baseline.values,
            key=str(reading["idempotency_key"]).strip(),
            source=VitalSign.Source.DEVICE,
            device=device,
            pre_dose=pre_dose,
        )
        if sign is None:
            result.duplicates += 1
            continue
        result.created += 1
        result.readings.append(sign)
        baseline = baseline.with_reading(sign.measured_at, values)
        pre_dose = pre_dose.with_reading(sign.measured_at, values)
        entries.append(
            audit_entry_build(
                EntryFacts(
                    kind="change",
                    action=AuditAction.VITAL_SIGN_RECEIVED,
                    actor=None,
                    actor_label=f"monitor {device.label}",
                    center_id=session.patient.center_id,
                    patient_id=session.patient_id,
                    object_type="treatment_sessions.vitalsign",
                    object_id=str(sign.external_id),
                    changes={**values, "measured_at": sign.measured_at, "alerts": sign.alerts},
                )
            )
        )
    audit_entries_write(entries)
    return result
