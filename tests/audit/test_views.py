from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from ketaclinic.audit.models import AuditEntry
from ketaclinic.core.permissions import Role
from ketaclinic.patients.models import EmergencyAccess
from ketaclinic.patients.services.registration import patient_update
from tests.factories import PatientFactory, StaffFactory
from tests.steps import acting, signed_in


@pytest.fixture
def admin(center):  # type: ignore[no-untyped-def]
    return StaffFactory(center=center, role=Role.CENTER_ADMIN, username="admin.here")


@pytest.mark.django_db
def test_audit_report_filters_by_patient_and_user(center, admin, nurse):
    seen, unseen = PatientFactory(center=center, mrn="KC0000101"), PatientFactory(center=center, mrn="KC0000102")
    signed_in(nurse).get(seen.get_absolute_url())
    signed_in(StaffFactory(center=center, role=Role.PRESCRIBER)).get(unseen.get_absolute_url())
    page = signed_in(admin).get(reverse("audit:report"), {"patient": "KC0000101"}).content.decode()
    assert "KC0000101" in page
    assert "KC0000102" not in page
    page = signed_in(admin).get(reverse("audit:report"), {"user": nurse.username}).content.decode()
    assert "KC0000101" in page
    assert "KC0000102" not in page


@pytest.mark.django_db
def test_audit_report_exports_csv_with_who_what_when_and_where(center, admin, nurse, patient):
    signed_in(nurse).get(patient.get_absolute_url(), REMOTE_ADDR="192.0.2.10")
    response = signed_in(admin).get(reverse("audit:report"), {"patient": patient.mrn, "format": "csv"})
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    (row,) = [r for r in rows if r["action"] == "patient.chart_viewed"]
    assert (row["actor"], row["role"], row["patient_mrn"], row["ip"]) == (
        nurse.username,
        "nurse",
        patient.mrn,
        "192.0.2.10",
    )
    assert row["user_agent"] == "pytest-client/1.0"


@pytest.mark.django_db
def test_audit_report_leaves_out_other_centers(center, other_center, admin):
    elsewhere = PatientFactory(center=other_center, mrn="KC0000999")
    signed_in(StaffFactory(center=other_center, role=Role.NURSE)).get(elsewhere.get_absolute_url())
    assert "KC0000999" not in signed_in(admin).get(reverse("audit:report")).content.decode()


@pytest.mark.django_db
def test_audit_report_rejects_a_reversed_date_range_with_a_message(admin):
    page = signed_in(admin).get(reverse("audit:report"), {"since": "2026-05-02", "until": "2026-05-01"})
    assert "The start date is after the end date." in page.content.decode()


@pytest.mark.django_db
def test_break_the_glass_flow_is_flagged_and_reviewed(center, other_center):
    nurse = StaffFactory(center=center, role=Role.NURSE)
    foreign = PatientFactory(center=other_center, mrn="KC0000555", family_name="Okonkwo")
    client = signed_in(nurse)
    assert client.get(foreign.get_absolute_url()).status_code == 404
    response = client.post(
        reverse("patients:emergency_access"),
        {
            "mrn": "KC0000555",
            "date_of_birth": foreign.date_of_birth.isoformat(),
            "reason": "Arrived here in crisis; home center closed.",
        },
    )
    assert response.status_code == 302
    chart = client.get(foreign.get_absolute_url())
    assert chart.status_code == 200
    assert "Okonkwo" in chart.content.decode()
    assert AuditEntry.objects.get(action="patient.chart_viewed", patient=foreign).is_emergency

    their_admin = signed_in(StaffFactory(center=other_center, role=Role.CENTER_ADMIN))
    queue = their_admin.get(reverse("audit:emergency_reviews")).content.decode()
    assert "Arrived here in crisis" in queue
    grant = EmergencyAccess.objects.get()
    their_admin.post(reverse("audit:emergency_review", kwargs={"grant_id": grant.external_id}), {"note": "Justified."})
    grant.refresh_from_db()
    assert grant.review_note == "Justified."
    assert "Arrived here in crisis" not in their_admin.get(reverse("audit:emergency_reviews")).content.decode()


@pytest.mark.django_db
def test_break_the_glass_with_a_wrong_birth_date_opens_nothing(center, other_center):
    nurse = StaffFactory(center=center, role=Role.NURSE)
    foreign = PatientFactory(center=other_center, mrn="KC0000556")
    response = signed_in(nurse).post(
        reverse("patients:emergency_access"),
        {"mrn": "KC0000556", "date_of_birth": "1901-01-01", "reason": "Arrived here in crisis; home center closed."},
    )
    assert response.status_code == 200
    assert "No patient in your organization" in response.content.decode()
    assert not EmergencyAccess.objects.exists()
    assert foreign.family_name not in response.content.decode()


@pytest.mark.django_db
def test_record_history_tab_lists_changes_with_before_and_after(center, patient, nurse):
    patient_update(actor=acting(nurse), patient=patient, fields={"pronouns": "she/her"})
    admin = StaffFactory(center=center, role=Role.CENTER_ADMIN)
    page = (
        signed_in(admin).get(reverse("patients:history", kwargs={"patient_id": patient.external_id})).content.decode()
    )
    assert "patient.updated" in page
    assert "pronouns" in page
    assert "she/her" in page


@pytest.mark.django_db
def test_the_csv_export_is_itself_recorded(admin):
    signed_in(admin).get(reverse("audit:report"), {"format": "csv", "patient": "KC0000001"})
    entry = AuditEntry.objects.get(action="audit.csv_exported")
    assert entry.actor == admin and entry.changes["filters"]["patient"] == "KC0000001"


@pytest.mark.django_db
def test_a_page_shown_again_with_form_errors_is_recorded(patient, center):
    client = signed_in(StaffFactory(center=center, role=Role.NURSE))
    response = client.post(reverse("patients:care_team_add", kwargs={"patient_id": patient.external_id}), {"name": ""})
    assert response.status_code == 422
    assert AuditEntry.objects.filter(action="care_team_member.added", patient=patient, kind="access").exists()
