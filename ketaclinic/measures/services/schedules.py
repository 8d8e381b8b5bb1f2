"""When a patient's questionnaires fall due over a course."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import audit_change_record
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.authorization import require
from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.measurement_schedule import CourseDates, measurement_schedule
from ketaclinic.core.permissions import Perm
from ketaclinic.measures.models import MeasurementDue
from ketaclinic.measures.services.responses import instrument_get
from ketaclinic.patients.models import Patient


@transaction.atomic
def measurement_schedule_create(
    *, actor: Actor, patient: Patient, instruments: Sequence[str], course: CourseDates
) -> list[MeasurementDue]:
    require(actor, Perm.MEASURE_SCHEDULE, center_id=patient.center_id)
    for code in instruments:
        instrument_get(code)
    try:
        planned = measurement_schedule(instruments=instruments, course=course)
    except ValueError as error:
        raise RuleViolation(str(error), code="schedule_invalid") from None
    rows = [
        MeasurementDue(
            patient=patient,
            instrument_code=entry.instrument_code,
            kind=entry.kind.value,
            due_on=entry.due_on,
            overdue_after_days=entry.overdue_after_days,
            created_by=actor.user,
        )
        for entry in planned
    ]
    MeasurementDue.objects.bulk_create(rows)
    audit_change_record(
        actor=actor,
        instance=patient,
        action=AuditAction.MEASUREMENT_SCHEDULE_CREATED,
        changes={
            "instruments": [None, list(instruments)],
            "due_dates": [None, len(rows)],
            "first_due_on": [None, planned[0].due_on],
            "last_due_on": [None, planned[-1].due_on],
        },
    )
    return rows
