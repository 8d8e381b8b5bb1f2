"""Reads of measurement-based care, scoped through the patient selectors."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ketaclinic.clinics.authorization import center_ids_for
from ketaclinic.core.errors import NotFound
from ketaclinic.core.permissions import Perm
from ketaclinic.measures.models import InstrumentWording, MeasurementDue, QuestionnaireResponse
from ketaclinic.patients.models import Patient, PatientAlert


def questionnaire_responses_completed(*, actor: Any, patient: Patient) -> QuerySet[QuestionnaireResponse]:
    """A patient's completed questionnaires, oldest first (the caller scoped the patient)."""
    return (
        QuestionnaireResponse.objects.in_use()
        .filter(patient_id=patient.pk, status=QuestionnaireResponse.Status.COMPLETED)
        .select_related("patient")
        .order_by("completed_at", "pk")
    )


def questionnaire_responses_in_progress(*, actor: Any, patient: Patient) -> QuerySet[QuestionnaireResponse]:
    return (
        QuestionnaireResponse.objects.in_use()
        .filter(patient_id=patient.pk, status=QuestionnaireResponse.Status.IN_PROGRESS)
        .select_related("link")
        .order_by("-started_at")
    )


def questionnaire_response_get(*, actor: Any, patient: Patient, response_id: UUID | str) -> QuestionnaireResponse:
    try:
        return (
            QuestionnaireResponse.objects.in_use()
            .select_related("entered_by", "patient")
            .get(patient_id=patient.pk, external_id=response_id)
        )
    except (QuestionnaireResponse.DoesNotExist, ValueError):
        raise NotFound(_("Questionnaire not found."), code="response_not_found") from None


def measurements_due_for_patient(*, actor: Any, patient: Patient) -> QuerySet[MeasurementDue]:
    return MeasurementDue.objects.filter(
        patient_id=patient.pk, completed_at__isnull=True, cancelled_at__isnull=True
    ).order_by("due_on", "instrument_code")


def measurements_due_at_center(
    *, actor: Any, center_id: int | None, today: dt.date, days_ahead: int = 7
) -> QuerySet[MeasurementDue]:
    """Open questionnaires at the center due within ``days_ahead`` days, overdue ones included."""
    centers = center_ids_for(actor, Perm.MEASURE_VIEW)
    if center_id is not None:
        centers = [c for c in centers if c == center_id]
    return (
        MeasurementDue.objects.filter(
            patient__center_id__in=centers,
            patient__entered_in_error_at__isnull=True,
            completed_at__isnull=True,
            cancelled_at__isnull=True,
            due_on__lte=today + dt.timedelta(days=days_ahead),
        )
        .select_related("patient")
        .order_by("due_on", "patient__family_name", "patient__given_name", "instrument_code")
    )


def risk_alert_queue(*, actor: Any, center_id: int | None) -> QuerySet[PatientAlert]:
    """Open suicide-risk alerts at the actor's centers: unacknowledged first, oldest first."""
    centers = center_ids_for(actor, Perm.RISK_ALERT_ACKNOWLEDGE) or center_ids_for(actor, Perm.MEASURE_VIEW)
    if center_id is not None:
        centers = [c for c in centers if c == center_id]
    return (
        PatientAlert.objects.in_use()
        .filter(patient__center_id__in=centers, kind=PatientAlert.Kind.SUICIDE_RISK, resolved_at__isnull=True)
        .select_related("patient", "acknowledged_by")
        .order_by("acknowledged_at", "raised_at")
    )


def risk_alert_get(*, actor: Any, alert_id: UUID | str) -> PatientAlert:
    try:
        return risk_alert_queue(actor=actor, center_id=None).get(external_id=alert_id)
    except (PatientAlert.DoesNotExist, ValueError):
        raise NotFound(_("Alert not found."), code="alert_not_found") from None


def instrument_wordings_loaded(*, actor: Any, organization_id: int) -> dict[tuple[str, str], InstrumentWording]:
    """The newest loaded wording per (instrument, language) for an organization."""
    newest: dict[tuple[str, str], InstrumentWording] = {}
    for wording in InstrumentWording.objects.filter(organization_id=organization_id).order_by("-loaded_at"):
        newest.setdefault((wording.instrument_code, wording.language), wording)
    return newest
