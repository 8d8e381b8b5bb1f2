"""Vital signs posted by monitors: authenticated per device, idempotent per reading."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ketaclinic.audit.services import EntryFacts, audit_entries_write, audit_entry_build
from ketaclinic.core.errors import Forbidden, NotFound, RuleViolation
from ketaclinic.core.monitoring import MEASURES, check_reading, implausible
from ketaclinic.core.tokens import token_digest
from ketaclinic.sessions.models import DoseAdministration, MonitorDevice, TreatmentSession, VitalSign

MAX_BATCH = 500


def device_for_token(token: str) -> MonitorDevice | None:
    return MonitorDevice.objects.filter(token_hash=token_digest(token), is_active=True).first()


def device_session_get(*, device: MonitorDevice, session_id: Any) -> TreatmentSession:
    """A session at the device's own center; any other answers like one that does not exist."""
    try:
        return TreatmentSession.objects.select_related("patient").get(
            external_id=session_id, patient__center_id=device.center_id
        )
    except (TreatmentSession.DoesNotExist, ValueError):
        raise NotFound(_("Session not found."), code="session_not_found") from None


def session_baseline(session: TreatmentSession) -> dict[str, Any]:
    """The baseline of a session's readings so far (see ``baseline_of``)."""
    started = (
        DoseAdministration.objects.in_use()
        .filter(session=session, started_at__isnull=False)
        .values_list("started_at", flat=True)
        .first()
    )
    return baseline_of(VitalSign.objects.in_use().filter(session=session).order_by("measured_at"), started)


def baseline_of(readings: Iterable[VitalSign], dose_started_at: dt.datetime | None) -> dict[str, Any]:
    """Each measure's first value, from before the dose where there is one.

    Per measure, so an entry with only a side effect or only a blood pressure does not leave the
    other measures without a baseline. The rise-over-baseline alerts and discharge compare to it.
    ``readings`` are in time order.
    """
    readings = list(readings)
    before = [r for r in readings if dose_started_at is not None and r.measured_at <= dose_started_at] or readings
    return {m: next((getattr(r, m) for r in before if getattr(r, m) is not None), None) for m in MEASURES}


@dataclass(frozen=True, slots=True)
class PreDose:
    """Each measure's latest value at or before the dose started: what later readings fall from.

    The esketamine label counts any fall of MOAA/S from the pre-dose level as sedation, so the
    level is the one rated just before the dose, not the session's first (``baseline_of``).
    """

    dose_started_at: dt.datetime | None
    latest: dict[str, tuple[dt.datetime, Any]] = field(default_factory=dict)

    def for_reading_at(self, measured_at: dt.datetime) -> dict[str, Any]:
        """The levels a reading is compared with; none before the dose has started."""
        if self.dose_started_at is None or measured_at <= self.dose_started_at:
            return {}
        return {measure: value for measure, (_at, value) in self.latest.items()}

    def with_reading(self, measured_at: dt.datetime, values: dict[str, Any]) -> PreDose:
        if self.dose_started_at is None or measured_at > self.dose_started_at:
            return self
        latest = dict(self.latest)
        for measure, value in values.items():
            if value is not None and (measure not in latest or latest[measure][0] <= measured_at):
                latest[measure] = (measured_at, value)
        return PreDose(self.dose_started_at, latest)


def session_pre_dose(session: TreatmentSession) -> PreDose:
    started = (
        DoseAdministration.objects.in_use()
        .filter(session=session, started_at__isnull=False)
        .values_list("started_at", flat=True)
        .first()
    )
    pre_dose = PreDose(started)
    if started is None:
        return pre_dose
    rows = VitalSign.objects.in_use().filter(session=session, measured_at__lte=started).order_by("measured_at")
    for row in rows.values("measured_at", *MEASURES):
        pre_dose = pre_dose.with_reading(row["measured_at"], {m: row[m] for m in MEASURES})
    return pre_dose


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
    """Insert one reading with its threshold alerts; None when its key is already stored."""
    before_dose = pre_dose.for_reading_at(measured_at) if pre_dose is not None else {}
    alerts = check_reading(values, baseline=baseline, pre_dose=before_dose)
    sign = VitalSign(
        session=session,
        device=device,
        recorded_by=recorded_by,
        source=source,
        measured_at=measured_at,
        idempotency_key=key,
        alerts=[a.message for a in alerts],
        side_effects=side_effects,
        **values,
    )
    try:
        # Its own savepoint: a concurrent retry that took the key first leaves this one a duplicate.
        with transaction.atomic():
            sign.save()
    except IntegrityError:
        return None
    return sign


@dataclass(slots=True)
class IngestResult:
    created: int = 0
    duplicates: int = 0
    alerts: list[str] = field(default_factory=list)


def vital_signs_ingest(
    *, device: MonitorDevice, session: TreatmentSession, readings: Sequence[dict[str, Any]]
) -> IngestResult:
    """Store each new reading once; a reading whose key is already stored counts as a duplicate.

    Each reading is inserted in its own savepoint, so two retries of the same batch arriving
    together both succeed: the second finds the unique key taken and reports a duplicate.
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
            baseline=baseline,
            key=str(reading["idempotency_key"]).strip(),
            source=VitalSign.Source.DEVICE,
            device=device,
            pre_dose=pre_dose,
        )
        if sign is None:
            result.duplicates += 1
            continue
        result.created += 1
        result.alerts += sign.alerts
        # A measure with no baseline yet takes its first value, as session_baseline would.
        baseline = {m: values.get(m) if baseline.get(m) is None else baseline[m] for m in MEASURES}
        pre_dose = pre_dose.with_reading(sign.measured_at, values)
        entries.append(
            audit_entry_build(
                EntryFacts(
                    kind="change",
                    action="vital_sign.received",
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
