"""A patient's consultations, prior trials and eligibility decisions (the caller scoped the patient)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.utils.translation import gettext as _

from ketaclinic.clinics.actors import Actor
from ketaclinic.core.errors import NotFound
from ketaclinic.intake.models import Consultation, EligibilityDecision, PriorTrial


def consultation_latest(*, actor: Actor, patient: Any) -> Consultation | None:
    """The patient's newest consultation (the caller scoped the patient)."""
    return Consultation.objects.in_use().filter(patient_id=patient.pk).order_by("-started_at").first()


def consultation_get(*, actor: Actor, patient: Any, consultation_id: UUID | str) -> Consultation:
    try:
        return (
            Consultation.objects.in_use()
            .select_related("prescriber")
            .get(patient_id=patient.pk, external_id=consultation_id)
        )
    except (Consultation.DoesNotExist, ValueError):
        raise NotFound(_("Consultation not found."), code="consultation_not_found") from None


def prior_trials_for(*, actor: Actor, consultation: Consultation) -> list[PriorTrial]:
    return list(PriorTrial.objects.in_use().filter(consultation_id=consultation.pk).order_by("created_at", "pk"))


def decisions_for(*, actor: Actor, consultation: Consultation) -> list[EligibilityDecision]:
    return list(
        EligibilityDecision.objects.in_use()
        .filter(consultation_id=consultation.pk)
        .select_related("signed_by")
        .order_by("-signed_at")
    )
