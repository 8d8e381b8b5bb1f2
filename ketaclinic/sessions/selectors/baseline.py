"""A session's baseline and pre-dose readings, which every new reading's alerts compare against."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ketaclinic.core.monitoring import MEASURES, Baseline, session_baseline_of
from ketaclinic.sessions.models import DoseAdministration, TreatmentSession, VitalSign


def session_baseline(session: TreatmentSession) -> Baseline:
    """The baseline of a session's readings so far, for new readings to be folded into (``core.monitoring``)."""
    started = (
        DoseAdministration.objects.in_use()
        .filter(session=session, started_at__isnull=False)
        .values_list("started_at", flat=True)
        .first()
    )
    rows = VitalSign.objects.in_use().filter(session=session).order_by("measured_at").values("measured_at", *MEASURES)
    return session_baseline_of(((row["measured_at"], row) for row in rows), started)


def baseline_of(readings: Iterable[VitalSign], dose_started_at: dt.datetime | None) -> dict[str, Any]:
    """Each measure's first value, from before the dose where any reading is (``core.monitoring.Baseline``).

    ``readings`` are in time order.
    """
    pairs = ((r.measured_at, {m: getattr(r, m) for m in MEASURES}) for r in readings)
    return session_baseline_of(pairs, dose_started_at).values


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
