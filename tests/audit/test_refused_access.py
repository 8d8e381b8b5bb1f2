"""A refused attempt to open a page leaves an entry too (HIPAA 164.312(b): access attempts)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.models import AuditEntry
from ketaclinic.core.permissions import Role
from tests.factories import PatientFactory, StaffFactory
from tests.steps import signed_in


@pytest.mark.django_db
def test_opening_another_centers_patient_is_refused_and_recorded(center, other_center, nurse):
    theirs = PatientFactory(center=other_center, given_name="Rosalind", mrn="KC0000777")

    response = signed_in(nurse).get(theirs.get_absolute_url())

    assert response.status_code == 404
    refused = AuditEntry.objects.get(action=AuditAction.ACCESS_REFUSED)
    assert refused.kind == AuditEntry.Kind.ACCESS
    assert refused.actor == nurse
    assert (refused.object_type, refused.object_id) == ("patient", str(theirs.external_id))
    assert refused.changes["status"] == 404
    assert refused.patient_id is None
    assert refused.center_id is None
    stored = json.dumps(refused.changes) + refused.reason + refused.actor_label
    assert "Rosalind" not in stored
    assert "KC0000777" not in stored
    assert not AuditEntry.objects.filter(patient=theirs).exists()


@pytest.mark.django_db
def test_a_page_refused_for_the_role_is_recorded(center):
    nurse = StaffFactory(center=center, role=Role.NURSE)

    response = signed_in(nurse).get(reverse("audit:report"))

    assert response.status_code == 403
    refused = AuditEntry.objects.get(action=AuditAction.ACCESS_REFUSED)
    assert refused.actor == nurse
    assert refused.changes == {"view": "audit:report", "status": 403, "code": "permission_denied", "ids": {}}


@pytest.mark.django_db
def test_an_allowed_page_records_no_refusal(center, nurse, patient):
    assert signed_in(nurse).get(patient.get_absolute_url()).status_code == 200
    assert not AuditEntry.objects.filter(action=AuditAction.ACCESS_REFUSED).exists()
