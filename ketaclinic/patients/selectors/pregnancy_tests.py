"""A patient's pregnancy tests (the caller scoped the patient)."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ketaclinic.clinics.actors import Actor
from ketaclinic.core.errors import NotFound
from ketaclinic.patients.models import Patient, PregnancyTest


def pregnancy_tests_for(*, actor: Actor, patient: Patient) -> QuerySet[PregnancyTest]:
    """A patient's pregnancy tests, newest first, those entered in error included and marked."""
    return PregnancyTest.objects.filter(patient=patient).select_related("recorded_by").order_by("-tested_at", "-pk")


def pregnancy_test_get(*, actor: Actor, patient: Patient, test_id: UUID | str) -> PregnancyTest:
    try:
        return PregnancyTest.objects.in_use().get(patient=patient, external_id=test_id)
    except (PregnancyTest.DoesNotExist, ValueError):
        raise NotFound(_("Pregnancy test not found."), code="pregnancy_test_not_found") from None
