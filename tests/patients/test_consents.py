from __future__ import annotations

import base64
import subprocess

import pytest
from django.urls import reverse

from ketaclinic.audit.models import AuditEntry
from ketaclinic.core.errors import Forbidden, RuleViolation
from ketaclinic.core.permissions import Role
from ketaclinic.patients.consent_texts import TEXTS
from ketaclinic.patients.models import ConsentSignature
from ketaclinic.patients.selectors.consents import consent_current, consent_require_current
from ketaclinic.patients.services.consents import consent_document_publish, consent_sign
from ketaclinic.printing import sha256_of
from tests.factories import StaffFactory
from tests.steps import acting, signed_in

# A 1x1 PNG, as the signature pad would send.
PNG = (
    "data:image/png;base64,"
    + base64.b64encode(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d49444154789c6360000002000185d1b8a30000000049454e44ae426082"
        )
    ).decode()
)


@pytest.fixture
def iv_consent(center):  # type: ignore[no-untyped-def]
    title, body = TEXTS["iv"]
    admin = StaffFactory(center=center, role=Role.CENTER_ADMIN)
    return consent_document_publish(
        actor=acting(admin),
        center_id=center.pk,
        organization_id=center.organization_id,
        route="iv",
        title=title,
        body=body,
    )


def pdf_text(path: str) -> str:
    return subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.django_db
def test_signing_stores_a_real_pdf_with_the_text_and_the_signature(patient, nurse, iv_consent, settings, tmp_path):
    settings.STORAGES = settings.STORAGES | {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}
    }
    # Case and spacing of the typed name do not matter; the words do.
    typed = f"  {patient.given_name.lower()}   {patient.family_name.upper()} "
    signature = consent_sign(
        actor=acting(nurse), patient=patient, route="iv", typed_name=typed, drawn_signature=PNG, has_read=True
    )
    content = signature.pdf.read()
    assert content.startswith(b"%PDF")
    assert sha256_of(content) == signature.pdf_sha256
    text = pdf_text(signature.pdf.path)
    assert "Consent to IV ketamine infusion" in text and patient.mrn in text and "Witness" in text
    assert "off-label" in text
    entry = AuditEntry.objects.get(action="consent.signed")
    assert entry.changes["drawn_signature"] == [None, "present"]
    assert consent_require_current(patient=patient, route="iv") == signature


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"typed_name": "Someone Else"}, "name_mismatch"),
        ({"has_read": False}, "not_read"),
        ({"drawn_signature": "data:text/html,<script>"}, "bad_signature_image"),
    ],
)
def test_a_bad_signature_is_refused_and_nothing_is_kept(patient, nurse, iv_consent, kwargs, code):
    values = {"typed_name": f"{patient.given_name} {patient.family_name}", "has_read": True} | kwargs
    with pytest.raises(RuleViolation) as raised:
        consent_sign(actor=acting(nurse), patient=patient, route="iv", **values)
    assert raised.value.code == code
    assert not ConsentSignature.objects.exists()


@pytest.mark.django_db
def test_a_new_version_makes_the_old_signature_out_of_date(center, patient, nurse, iv_consent):
    consent_sign(
        actor=acting(nurse),
        patient=patient,
        route="iv",
        typed_name=f"{patient.given_name} {patient.family_name}",
        has_read=True,
    )
    title, body = TEXTS["iv"]
    consent_document_publish(
        actor=acting(StaffFactory(center=center, role=Role.CENTER_ADMIN)),
        center_id=center.pk,
        organization_id=center.organization_id,
        route="iv",
        title=title,
        body=body + " More.",
    )
    assert consent_current(patient=patient, route="iv") is None
    with pytest.raises(RuleViolation) as raised:
        consent_require_current(patient=patient, route="iv")
    assert raised.value.code == "consent_missing"


@pytest.mark.django_db
def test_consent_for_one_route_does_not_cover_another(patient, nurse, iv_consent):
    consent_sign(
        actor=acting(nurse),
        patient=patient,
        route="iv",
        typed_name=f"{patient.given_name} {patient.family_name}",
        has_read=True,
    )
    with pytest.raises(RuleViolation):
        consent_require_current(patient=patient, route="esketamine_nasal_spray")


@pytest.mark.django_db
def test_therapists_cannot_witness_and_only_admins_publish(center, patient, iv_consent):
    therapist = StaffFactory(center=center, role=Role.THERAPIST)
    with pytest.raises(Forbidden):
        consent_sign(actor=acting(therapist), patient=patient, route="iv", typed_name="x", has_read=True)
    with pytest.raises(Forbidden):
        consent_document_publish(
            actor=acting(therapist),
            center_id=center.pk,
            organization_id=center.organization_id,
            route="iv",
            title="t",
            body="b" * 300,
        )


@pytest.mark.django_db
def test_tablet_page_signs_and_the_pdf_downloads(patient, nurse, iv_consent):
    client = signed_in(nurse)
    url = reverse("patients:consent_sign", kwargs={"patient_id": patient.external_id, "route": "iv"})
    page = client.get(url).content.decode()
    assert "data-signature-pad" in page and "off-label" in page
    response = client.post(
        url, {"has_read": "on", "typed_name": f"{patient.given_name} {patient.family_name}", "drawn_signature": PNG}
    )
    assert response.status_code == 302
    listing = client.get(reverse("patients:consents", kwargs={"patient_id": patient.external_id})).content.decode()
    assert "Signed " in listing
    signature = ConsentSignature.objects.get()
    pdf = client.get(
        reverse(
            "patients:consent_pdf", kwargs={"patient_id": patient.external_id, "signature_id": signature.external_id}
        )
    )
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
