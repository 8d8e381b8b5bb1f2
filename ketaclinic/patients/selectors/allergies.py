"""Reads of a patient's allergies (the caller scoped the patient)."""

from __future__ import annotations

from uuid import UUID

from django.utils.translation import gettext as _

from ketaclinic.clinics.actors import Actor
from ketaclinic.core.errors import NotFound
from ketaclinic.patients.models import Allergy, Patient


def allergy_get(*, actor: Actor, patient: Patient, allergy_id: UUID | str) -> Allergy:
    try:
        return Allergy.objects.in_use().get(patient=patient, external_id=allergy_id)
    except (Allergy.DoesNotExist, ValueError):
        raise NotFound(_("Allergy not found."), code="allergy_not_found") from None
