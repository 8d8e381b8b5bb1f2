from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ketaclinic.audit.models import AuditEntry
from ketaclinic.core.errors import Forbidden, RuleViolation
from ketaclinic.core.permissions import Role
from ketaclinic.intake.models import ConsultationRequest
from ketaclinic.intake.services.inquiries import (
    consultation_request_book,
    consultation_request_register,
    consultation_request_submit,
    consultation_request_update,
    inquiry_form_token,
)
from ketaclinic.patients.models import Patient
from tests.factories import StaffFactory
from tests.steps import acting, signed_in

FIELDS = {
    "given_name": "Marisol",
    "family_name": "Vega",
    "date_of_birth": dt.date(1979, 8, 30),
    "phone": "(714) 555-0177",
    "email": "",
    "contact_by": "phone",
    "preferred_language": "es",
    "reason": "Depression for years; two antidepressants did not help.",
    "heard_about": "clinician",
    "referring_clinician": "Dr. Ahn, Fullerton",
    "has_consent_to_contact": True,
}


def submit(center, fields=FIELDS, *, honeypot="", ip="203.0.113.5", age_seconds=30):  # type: ignore[no-untyped-def]
    with time_machine.travel(timezone.now() - dt.timedelta(seconds=age_seconds), tick=False):
        token = inquiry_form_token()
    return consultation_request_submit(center=center, fields=fields, form_token=token, honeypot=honeypot, ip=ip)


@pytest.mark.django_db
def test_a_request_lands_in_the_centers_queue_and_is_audited(center):
    inquiry = submit(center)
    assert (inquiry.status, inquiry.center, inquiry.ip) == ("new", center, "203.0.113.5")
    assert AuditEntry.objects.filter(action="consultation_request.received", center=center).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"honeypot": "http://spam.example"}, "honeypot"),
        ({"age_seconds": 1}, "too_fast"),
        ({"age_seconds": 3 * 60 * 60}, "form_expired"),
        ({"fields": FIELDS | {"has_consent_to_contact": False}}, "consent_required"),
        ({"fields": FIELDS | {"phone": ""}}, "contact_required"),
    ],
)
def test_bots_and_incomplete_requests_are_refused_and_nothing_is_kept(center, kwargs, code):
    with pytest.raises(RuleViolation) as raised:
        submit(center, **kwargs)
    assert raised.value.code == code
    assert not ConsultationRequest.objects.exists()


@pytest.mark.django_db
def test_a_flood_from_one_address_is_cut_off(center, settings):
    settings.KETACLINIC_INQUIRIES_PER_HOUR = 2
    submit(center)
    submit(center)
    with pytest.raises(RuleViolation) as raised:
        submit(center)
    assert raised.value.code == "rate_limited"
    submit(center, ip="198.51.100.9")
    assert ConsultationRequest.objects.count() == 3


@pytest.mark.django_db
def test_the_public_form_works_without_sign_in_and_hides_its_trap(center):
    client = Client()
    url = reverse("consultation_request", kwargs={"center_slug": center.slug})
    page = client.get(url).content.decode()
    assert center.name in page and 'name="website"' in page and 'name="form_token"' in page
    token = page.split('name="form_token" value="')[1].split('"')[0]
    data = {k: ("on" if v is True else str(v)) for k, v in FIELDS.items()} | {"form_token": token, "website": ""}
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=20)):
        response = client.post(url, data)
    assert "Thank you" in response.content.decode()
    assert ConsultationRequest.objects.get().family_name == "Vega"


@pytest.mark.django_db
def test_front_desk_registers_and_books_the_consultation(center):
    front_desk = StaffFactory(center=center, role=Role.FRONT_DESK)
    prescriber = StaffFactory(center=center, role=Role.PRESCRIBER)
    inquiry = submit(center)
    with pytest.raises(RuleViolation) as not_registered:
        consultation_request_book(
            actor=acting(front_desk),
            inquiry=inquiry,
            consultation_at=timezone.now() + dt.timedelta(days=2),
            clinician=prescriber,
        )
    assert not_registered.value.code == "not_registered"
    patient = consultation_request_register(
        actor=acting(front_desk), inquiry=inquiry, fields={"sex_at_birth": "female"}
    )
    assert (patient.family_name, patient.date_of_birth, patient.preferred_language) == (
        "Vega",
        FIELDS["date_of_birth"],
        "es",
    )
    with pytest.raises(RuleViolation) as in_past:
        consultation_request_book(
            actor=acting(front_desk),
            inquiry=inquiry,
            consultation_at=timezone.now() - dt.timedelta(hours=1),
            clinician=prescriber,
        )
    assert in_past.value.code == "booking_in_past"
    with pytest.raises(RuleViolation) as not_clinician:
        consultation_request_book(
            actor=acting(front_desk),
            inquiry=inquiry,
            consultation_at=timezone.now() + dt.timedelta(days=2),
            clinician=front_desk,
        )
    assert not_clinician.value.code == "not_a_clinician"
    when = timezone.now() + dt.timedelta(days=2)
    booked = consultation_request_book(
        actor=acting(front_desk), inquiry=inquiry, consultation_at=when, clinician=prescriber
    )
    assert (booked.status, booked.consultation_with, booked.patient) == ("booked", prescriber, patient)
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"consultation_request.registered", "consultation_request.booked", "patient.created"} <= actions


@pytest.mark.django_db
def test_therapists_cannot_handle_intake(center):
    inquiry = submit(center)
    with pytest.raises(Forbidden):
        consultation_request_update(
            actor=acting(StaffFactory(center=center, role=Role.THERAPIST)), inquiry=inquiry, status="contacted", note=""
        )


@pytest.mark.django_db
def test_queue_shows_new_requests_and_records_who_looked(center):
    submit(center)
    front_desk = StaffFactory(center=center, role=Role.FRONT_DESK)
    page = signed_in(front_desk).get(reverse("intake:queue")).content.decode()
    assert "Vega, Marisol" in page
    entry = AuditEntry.objects.get(action="consultation_requests.listed")
    assert (entry.actor, entry.object_type, entry.center) == (front_desk, "intake.consultationrequest", center)


@pytest.mark.django_db
def test_registering_through_the_page(center):
    inquiry = submit(center)
    client = signed_in(StaffFactory(center=center, role=Role.FRONT_DESK))
    url = reverse("intake:register", kwargs={"request_id": inquiry.external_id})
    response = client.post(url, {"date_of_birth": "1979-08-30", "sex_at_birth": "female"})
    assert response.status_code == 302
    assert Patient.objects.get().family_name == "Vega"
    inquiry.refresh_from_db()
    assert inquiry.patient is not None and inquiry.status == "contacted"
