"""Reads of a patient's care team (the caller scoped the patient)."""

from __future__ import annotations

from uuid import UUID

from django.utils.translation import gettext as _

from ketaclinic.clinics.actors import Actor
from ketaclinic.core.errors import NotFound
from ketaclinic.patients.models import CareTeamMember, Patient


def care_team_member_get(*, actor: Actor, patient: Patient, member_id: UUID | str) -> CareTeamMember:
    try:
        return CareTeamMember.objects.in_use().get(patient=patient, external_id=member_id)
    except (CareTeamMember.DoesNotExist, ValueError):
        raise NotFound(_("Care team member not found."), code="care_team_member_not_found") from None
