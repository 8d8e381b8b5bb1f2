"""Vital signs posted by monitors: stored once per reading, however often a retry sends it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import EntryFacts, audit_entries_write, audit_entry_build
from ketaclinic.core.errors import Conflict, DomainError, Forbidden, RuleViolation
from ketaclinic.core.monitoring import MEASURES, check_reading, implausible
from ketaclinic.sessions.models import MonitorDevice, ReadingAlert, TreatmentSession, VitalSign
from ketaclinic.sessions.selectors.baseline import PreDose, session_baseline, session_pre_dose
from ketaclinic.sessions.services.alerts import reading_alerts_settle, session_readings_lock
from ketaclinic.sessions.services.reading_window import reading_time_refusal, session_closed_at

MAX_BATCH = 500
# The most characters a reading's idempotency key may have (the column's width).
MAX_KEY_LENGTH = 100


class BatchTooLarge(DomainError):
    """More readings than one request may carry: the monitor sends them in smaller batches."""

    http_status = 413


@dataclass(frozen=True, slots=True)
class ReadingRefusal:
    """One reading of a batch that was refused: its key, and why."""

    idempotency_key: str
    code: str
    message: str


class ReadingsRefused(RuleViolation):
    """Some readings of a batch cannot be stored; none of the batch is, and each says why."""

    def __init__(self, refusals: list[ReadingRefusal]) -> None:
        super().__init__(
            _("%(n)s of the readings were refused; nothing of the batch was stored.") % {"n": len(refusals)},
            code="bad_reading",
        )
        self.refusals = refusals


class ReadingKeyReused(Conflict):
    """A key already stored with other values: the monitor reused it for a different reading."""

    def __init__(self, key: str) -> None:
        super().__init__(
            _("Reading %(key)s was already stored with other values; send it with a new key.") % {"key": key},
            code="idempotency_key_reused",
        )
        self.refusals = [ReadingRefusal(key, self.code, str(self.message))]


def idempotency_key_refusal(key: Any) -> str | None:
    """Why a key cannot name a reading, or None: 1 to 100 printable characters, no control ones."""
    if not isinstance(key, str) or not key.strip():
        return str(_("The reading has no idempotency key."))
    if len(key) > MAX_KEY_LENGTH:
        return str(_("An idempotency key has at most %(n)s characters.") % {"n": MAX_KEY_LENGTH})
    if not key.isprintable():
        return str(_("An idempotency key has only printable characters."))
    return None


def _reading_refusals(session: TreatmentSession, readings: Sequence[dict[str, Any]]) -> list[ReadingRefusal]:
    """Every reading of the batch that cannot be stored, each with its reason."""
    now = timezone.now()
    closed_at = session_closed_at(session)
    refusals = []
    for reading in readings:
        key = reading.get("idempotency_key")
        shown = str(key)[:MAX_KEY_LENGTH] if key is not None else "?"
        key_problem = idempotency_key_refusal(key)
        if key_problem:
            refusals.append(ReadingRefusal(shown, "bad_idempotency_key", key_problem))
            continue
        bad = implausible(reading)
        if bad:
            message = _("These values cannot be right: %(f)s.") % {"f": ", ".join(bad)}
            refusals.append(ReadingRefusal(shown, "bad_reading", str(message)))
            continue
        measured_at = reading.get("measured_at")
        if not isinstance(measured_at, dt.datetime):
            refusals.append(ReadingRefusal(shown, "bad_reading", str(_("The reading has no time."))))
            continue
        refusal = reading_time_refusal(session=session, measured_at=measured_at, now=now, closed_at=closed_at)
        if refusal is not None:
            refusals.append(ReadingRefusal(shown, refusal.code, str(refusal.message)))
    return refusals


def _same_reading(stored: VitalSign, reading: dict[str, Any]) -> bool:
    """Whether a resent reading says what the stored one with its key says."""
    return stored.measured_at == reading["measured_at"] and all(getattr(stored, m) == reading.get(m) for m in MEASURES)


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

    A batch is stored whole or not at all: a reading that cannot be stored (an impossible value,
    a bad key, a time outside the session's window, see ``reading_window``) refuses the batch
    with every such reading and its reason (``ReadingsRefused``); a key already stored with other
    values refuses it as a conflict naming that key.
    """
    if not device.is_active or device.center_id != session.patient.center_id:
        raise Forbidden(_("This monitor is not registered at the session's center."), code="device_elsewhere")
    if len(readings) > MAX_BATCH:
        raise BatchTooLarge(_("Send at most %(n)s readings at a time.") % {"n": MAX_BATCH}, code="batch_size")
    if not readings:
        raise RuleViolation(_("Send between 1 and %(n)s readings.") % {"n": MAX_BATCH}, code="batch_size")
    refusals = _reading_refusals(session, readings)
    if refusals:
        raise ReadingsRefused(refusals)
    session_readings_lock(session)
    baseline = session_baseline(session)
    pre_dose = session_pre_dose(session)
    result = IngestResult()
    entries = []
    stored = {
        sign.idempotency_key: sign
        for sign in VitalSign.objects.filter(
            session=session, idempotency_key__in={str(r["idempotency_key"]).strip() for r in readings}
        )
    }
    for reading in sorted(readings, key=lambda r: r["measured_at"]):
        values = {m: reading.get(m) for m in MEASURES}
        key = str(reading["idempotency_key"]).strip()
        if key in stored:
            if not _same_reading(stored[key], reading):
                raise ReadingKeyReused(key)
            result.duplicates += 1
            continue
        sign = vital_sign_store(
            session=session,
            values=values,
            measured_at=reading["measured_at"],
            baseline=baseline.values,
            key=key,
            source=VitalSign.Source.DEVICE,
            device=device,
            pre_dose=pre_dose,
        )
        if sign is None:
            result.duplicates += 1
            continue
        result.created += 1
        result.readings.append(sign)
        stored[key] = sign
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
