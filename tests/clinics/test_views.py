from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from ketaclinic.clinics.models import StaffRole
from ketaclinic.core.permissions import Role
from tests.factories import ChairFactory, OpeningHoursFactory, PatientFactory, RoomFactory, StaffFactory
from tests.steps import signed_in


@pytest.mark.django_db
def test_switching_center_changes_the_patient_list(center, other_center):
    nurse = StaffFactory(center=center, role=Role.NURSE)
    StaffRole.objects.create(user=nurse, center=other_center, role=Role.NURSE)
    PatientFactory(center=center, family_name="Alvarado")
    PatientFactory(center=other_center, family_name="Bautista")
    client = signed_in(nurse)
    first = client.get(reverse("patients:list")).content.decode()
    assert "Alvarado" in first
    assert "Bautista" not in first
    response = client.post(reverse("clinics:switch"), {"center": str(other_center.external_id), "next": "/patients/"})
    assert response.status_code == 302
    assert response["Location"] == "/patients/"
    second = client.get(reverse("patients:list")).content.decode()
    assert "Bautista" in second
    assert "Alvarado" not in second


@pytest.mark.django_db
def test_switching_to_a_center_without_a_role_is_refused(center, other_center, nurse):
    client = signed_in(nurse)
    response = client.post(reverse("clinics:switch"), {"center": str(other_center.external_id)})
    assert response.status_code == 404
    assert f"at {center.name}" in client.get(reverse("patients:list")).content.decode()


@pytest.mark.django_db
def test_switch_ignores_a_next_address_on_another_site(center, nurse):
    response = signed_in(nurse).post(
        reverse("clinics:switch"), {"center": str(center.external_id), "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("patients:list")


@pytest.mark.django_db
def test_center_page_lists_services_hours_languages_rooms_and_chairs(center):
    ChairFactory(room=RoomFactory(center=center, name="Infusion suite"), label="Chair 1A")
    OpeningHoursFactory(center=center)
    page = signed_in(StaffFactory(center=center, role=Role.RESEARCHER)).get(reverse("clinics:centers")).content.decode()
    for text in (
        center.name,
        "IV ketamine infusion",
        "Esketamine nasal spray",
        "Monday 08:00-18:00",
        "Infusion suite",
        "Chair 1A",
        "en, es",
    ):
        assert text in page


@pytest.mark.django_db
def test_researchers_land_on_the_centers_page_not_the_patient_list(center):
    client = signed_in(StaffFactory(center=center, role=Role.RESEARCHER))
    assert client.get(reverse("home"))["Location"] == reverse("clinics:centers")


@pytest.mark.django_db
def test_posts_without_a_csrf_token_are_refused(center, patient):
    client = Client(enforce_csrf_checks=True)
    client.force_login(StaffFactory(center=center, role=Role.NURSE))
    response = client.post(
        reverse("patients:allergy_add", kwargs={"patient_id": patient.external_id}), {"substance": "Latex"}
    )
    assert response.status_code == 403
    assert not patient.allergies.exists()
