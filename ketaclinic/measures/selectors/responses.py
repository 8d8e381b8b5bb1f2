"""A patient's questionnaire responses (the caller scoped the patient)."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ketaclinic.clinics.actors import Actor
from ketaclinic.core.errors import NotFound
from ketaclinic.measures.models import QuestionnaireResponse
from ketaclinic.patients.models import Patient


def questionnaire_responses_completed(*, actor: Actor, patient: Patient) -> QuerySet[QuestionnaireResponse]:
    """A patient's completed questionnaires, oldest first (the caller scoped the patient)."""
    return (
        QuestionnaireResponse.objects.in_use()
        .filter(patient_id=patient.pk, status=QuestionnaireResponse.Status.COMPLETED)
        .select_related("patient")
        .order_by("completed_at", "pk")
    )


def questionnaire_responses_in_progress(*, actor: Actor, patient: Patient) -> QuerySet[QuestionnaireResponse]:
    return (
        QuestionnaireResponse.objects.in_use()
        .filter(patient_id=patient.pk, status=QuestionnaireResponse.Status.IN_PROGRESS)
        .select_related("link")
        .order_by("-started_at")
    )


def questionnaire_response_get(*, actor: Actor, patient: Patient, response_id: UUID | str) -> QuestionnaireResponse:
    try:
        return (
            QuestionnaireResponse.objects.in_use()
            .select_related("entered_by", "patient")
            .get(patient_id=patient.pk, external_id=response_id)
        )
    except (QuestionnaireResponse.DoesNotExist, ValueError):
        raise NotFound(_("Questionnaire not found."), code="response_not_found") from None
