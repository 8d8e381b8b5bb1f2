"""The chair board: every session in a chair now, how long since the dose, what is due."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.clinics.actors import Actor
from ketaclinic.core.errors import NotFound
from ketaclinic.core.permissions import Perm
from ketaclinic.sessions.models import AlertState, DoseAdministration, TreatmentSession, VitalSign
from ketaclinic.sessions.selectors.flowsheet import next_reading_due


@dataclass(frozen=True, slots=True)
class ChairLine:
    session: TreatmentSession
    minutes_since_dose: int | None
    stage: str
    next_due_at: dt.datetime | None
    is_late: bool
    # How many of the last three readings raised an alert.
    alert_count: int
    # The session's alerts by state, however many readings ago they were raised.
    alerts_open: int = 0
    alerts_acknowledged: int = 0
    alerts_resolved: int = 0


def _stage(dose: DoseAdministration | None) -> str:
    """Where the patient is in the session, in the words on the board."""
    if dose is None:
        return str(_("before the dose"))
    if dose.status in (DoseAdministration.Status.COMPLETED, DoseAdministration.Status.STOPPED):
        return str(_("in observation"))
    return str(dose.get_status_display()).lower()


def chair_board(*, actor: Actor, center_id: int) -> list[ChairLine]:
    """Every session in a chair now at the center: who, how long, what is due, open alerts."""
    if not actor.can(Perm.SESSION_VIEW, center_id=center_id):
        raise NotFound(_("Center not found."), code="center_not_found")
    now = timezone.now()
    sessions = (
        TreatmentSession.objects.in_use()
        .filter(
            patient__center_id=center_id,
            status=TreatmentSession.Status.SCHEDULED,
            starts_at__lte=now,
            ends_at__gte=now - dt.timedelta(minutes=30),
        )
        .select_related("patient", "plan", "chair")
        .prefetch_related(
            Prefetch("vital_signs", queryset=VitalSign.objects.in_use().order_by("measured_at"), to_attr="readings"),
            Prefetch("doses", queryset=DoseAdministration.objects.in_use(), to_attr="dose_list"),
        )
        .order_by("chair__label")
    )
    lines = []
    for session in sessions:
        readings: list[VitalSign] = session.readings
        due, late = next_reading_due(session, readings, now)
        dose = next(iter(session.dose_list), None)
        started = dose.started_at if dose else None
        states = Counter(alert.state for reading in readings for alert in reading.reading_alerts)
        lines.append(
            ChairLine(
                session=session,
                minutes_since_dose=int((now - started).total_seconds() // 60) if started else None,
                stage=_stage(dose),
                next_due_at=due,
                is_late=late,
                alert_count=sum(1 for r in readings[-3:] if r.alerts),
                alerts_open=states[AlertState.OPEN],
                alerts_acknowledged=states[AlertState.ACKNOWLEDGED],
                alerts_resolved=states[AlertState.RESOLVED],
            )
        )
    return lines
