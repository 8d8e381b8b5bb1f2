"""A session is loaded for the page's own permission, not for whatever else the user may do there."""

from __future__ import annotations

import inspect

import pytest
from django.urls import reverse

from ketaclinic.clinics.models import StaffRole
from ketaclinic.core.permissions import Role
from ketaclinic.sessions.models import DoseAdministration
from ketaclinic.sessions.selectors.flowsheet import flowsheet_get
from ketaclinic.sessions.selectors.session import session_get
from tests.factories import StaffFactory, TreatmentCenterFactory
from tests.steps import signed_in


@pytest.mark.parametrize("selector", [session_get, flowsheet_get])
def test_a_session_selector_names_the_permission_it_scopes_by(selector):
    perm = inspect.signature(selector).parameters["perm"]
    assert perm.kind is inspect.Parameter.KEYWORD_ONLY
    assert perm.default is inspect.Parameter.empty


@pytest.mark.django_db
def test_a_nurse_elsewhere_who_is_a_therapist_here_cannot_reach_the_dose_page(center, session):
    """She may prepare doses at her own center and see sessions at this one: not prepare them here."""
    home = TreatmentCenterFactory(organization=center.organization)
    nurse = StaffFactory(center=home, role=Role.NURSE)
    StaffRole.objects.create(user=nurse, center=center, role=Role.THERAPIST)
    url = reverse("sessions:dose_prepare", kwargs={"session_id": session.external_id})
    response = signed_in(nurse).post(url, {"weight_kg": "70"})
    assert response.status_code == 404
    assert not DoseAdministration.objects.exists()
