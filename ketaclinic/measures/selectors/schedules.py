"""Questionnaires due, for one patient or across the actor's centers."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from ketaclinic.clinics.actors import Actor
from ketaclinic.core.permissions import Perm
from ketaclinic.measures.models import MeasurementDue
from ketaclinic.patients.models import Patient
from ketaclinic.patients.selectors.scoping import patient_records_scope


def measurements_due_for_patient(*, actor: Actor, patient: Patient) -> QuerySet[MeasurementDue]:
    return MeasurementDue.objects.filter(
        patient_id=patient.pk, completed_at__isnull=True, cancelled_at__isnull=True
    ).order_by("due_on", "instrument_code")


def measurements_due_at_center(
    *, actor: Actor, center_id: int | None, today: dt.date, days_ahead: int = 7
) -> QuerySet[MeasurementDue]:
    """Open questionnaires at the center due within ``days_ahead`` days, overdue ones included."""
    return (
        MeasurementDue.objects.filter(
            patient_records_scope(actor=actor, perm=Perm.MEASURE_VIEW, center_id=center_id),
            patient__entered_in_error_at__isnull=True,
            completed_at__isnull=True,
            cancelled_at__isnull=True,
            due_on__lte=today + dt.timedelta(days=days_ahead),
        )
        .select_related("patient")
        .order_by("due_on", "patient__family_name", "patient__given_name", "instrument_code")
    )
