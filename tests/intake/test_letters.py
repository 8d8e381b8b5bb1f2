from __future__ import annotations

import subprocess

import pytest
from django.urls import reverse

from ketaclinic.audit.models import AuditEntry
from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.permissions import Role
from ketaclinic.messaging.letters import consultation_letter_render
from tests.factories import CareTeamMemberFactory, StaffFactory, eligible_consultation_sign
from tests.steps import acting, signed_in


@pytest.fixture
def signed_consultation(center, patient):  # type: ignore[no-untyped-def]
    prescriber = StaffFactory(
        center=center, role=Role.PRESCRIBER, with_password=True, first_name="Lena", last_name="Ortiz"
    )
    consultation, _decision = eligible_consultation_sign(
        prescriber=prescriber,
        patient=patient,
        presenting_problem="Recurrent depression for six years.",
        diagnosis_codes=["F33.2"],
    )
    return prescriber, consultation


def text_of(pdf: bytes, tmp_path) -> str:  # type: ignore[no-untyped-def]
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.django_db
def test_letter_to_a_consenting_pcp_summarises_the_signed_record(patient, signed_consultation, tmp_path):
    prescriber, consultation = signed_consultation
    pcp = CareTeamMemberFactory(patient=patient, name="Dr. Imani Brooks", has_consent_to_share=True)
    pdf = consultation_letter_render(actor=acting(prescriber), consultation=consultation, recipient=pcp)
    text = text_of(pdf, tmp_path)
    for expected in (
        "Dr. Imani Brooks",
        patient.mrn,
        "Recurrent depression for six years.",
        "F33.2",
        "Eligible",
        "Lena Ortiz",
    ):
        assert expected in text
    entry = AuditEntry.objects.get(action="consultation_letter.generated")
    assert "Dr. Imani Brooks" in entry.changes["recipient"][1]


@pytest.mark.django_db
def test_no_letter_without_the_patients_consent_to_share(patient, signed_consultation):
    prescriber, consultation = signed_consultation
    therapist = CareTeamMemberFactory(patient=patient, role="therapist", has_consent_to_share=False)
    with pytest.raises(RuleViolation) as raised:
        consultation_letter_render(actor=acting(prescriber), consultation=consultation, recipient=therapist)
    assert raised.value.code == "no_consent"
    assert not AuditEntry.objects.filter(action="consultation_letter.generated").exists()


@pytest.mark.django_db
def test_letter_link_serves_a_pdf(patient, signed_consultation):
    prescriber, consultation = signed_consultation
    pcp = CareTeamMemberFactory(patient=patient, has_consent_to_share=True)
    url = reverse(
        "consultations:letter",
        kwargs={
            "patient_id": patient.external_id,
            "consultation_id": consultation.external_id,
            "member_id": pcp.external_id,
        },
    )
    response = signed_in(prescriber).get(url)
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
