"""A raised ceiling needs another person's sign-off, and refusals do not tell who exists."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.audit.models import AuditEntry
from ketaclinic.clinics.models import StaffRole
from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.permissions import Role
from ketaclinic.treatment.models import TreatmentPlan
from ketaclinic.treatment.services import CeilingSignOff, plan_defaults, protocol_get, treatment_plan_sign
from tests.factories import PASSWORD, StaffFactory, eligible_consultation_sign
from tests.steps import acting, signed_in

REFUSED = "The medical director's name or password is not right."


@pytest.fixture
def prescriber(center):  # type: ignore[no-untyped-def]
    return StaffFactory(center=center, role=Role.PRESCRIBER, with_password=True)


@pytest.fixture
def director(center):  # type: ignore[no-untyped-def]
    return StaffFactory(center=center, role=Role.MEDICAL_DIRECTOR, with_password=True)


@pytest.fixture
def eligible_for_im(prescriber, patient):  # type: ignore[no-untyped-def]
    return eligible_consultation_sign(prescriber=prescriber, patient=patient, route="im")[1]


def im_plan(**changes):  # type: ignore[no-untyped-def]
    return (
        plan_defaults(protocol_get("im_racemic_ketamine"))
        | {
            "indication": "Treatment-resistant depression",
            "goals": "PHQ-9 below 10",
            "measurement_instruments": ["phq9"],
            "re_evaluation_due_on": timezone.localdate() + dt.timedelta(days=21),
            "phase": "induction",
            "mg_per_kg": Decimal("1.0"),
            "cap_mg": Decimal("140"),
        }
        | changes
    )


def sign(actor, patient, username, password=PASSWORD, reason="140 kg patient; reviewed."):  # type: ignore[no-untyped-def]
    return treatment_plan_sign(
        actor=acting(actor), patient=patient, fields=im_plan(), password=PASSWORD,
        ceiling_sign_off=CeilingSignOff(director_username=username, password=password, reason=reason),
    )  # fmt: skip


@pytest.mark.django_db
def test_a_prescriber_who_is_also_medical_director_cannot_sign_off_their_own_ceiling(
    center, patient, prescriber, eligible_for_im
):
    StaffRole.objects.create(user=prescriber, center=center, role=Role.MEDICAL_DIRECTOR.value)
    with pytest.raises(RuleViolation) as raised:
        sign(prescriber, patient, prescriber.username)
    assert raised.value.code == "ceiling_self_sign_off"
    assert "someone other than" in str(raised.value.message)
    assert not TreatmentPlan.objects.exists()
    assert not AuditEntry.objects.filter(action="treatment_plan.ceiling_raised").exists()


@pytest.mark.django_db
def test_another_medical_director_may_sign_off_a_prescriber_directors_ceiling(
    center, patient, prescriber, director, eligible_for_im
):
    StaffRole.objects.create(user=prescriber, center=center, role=Role.MEDICAL_DIRECTOR.value)
    plan = sign(prescriber, patient, director.username)
    assert plan.ceiling_approved_by == director and plan.signed_by == prescriber


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["unknown", "not_a_director", "wrong_password"])
def test_a_refused_sign_off_says_the_same_whether_or_not_the_username_exists(
    center, patient, prescriber, director, eligible_for_im, who
):
    other = StaffFactory(center=center, role=Role.PRESCRIBER, with_password=True)
    username, password = {
        "unknown": ("nobody-here", PASSWORD),
        "not_a_director": (other.username, PASSWORD),
        "wrong_password": (director.username, "wrong"),
    }[who]
    with pytest.raises(RuleViolation) as raised:
        sign(prescriber, patient, username, password=password)
    assert (raised.value.code, str(raised.value.message), raised.value.field) == (
        "ceiling_sign_off_refused",
        REFUSED,
        "ceiling_director",
    )
    assert not TreatmentPlan.objects.exists()


@pytest.mark.django_db
def test_a_wrong_director_password_still_counts_toward_their_signing_lock(
    patient, prescriber, director, eligible_for_im
):
    with pytest.raises(RuleViolation):
        sign(prescriber, patient, director.username, password="wrong")
    assert User.objects.get(pk=director.pk).failed_signature_attempts == 1


@pytest.mark.django_db
def test_the_plan_form_shows_a_wrong_director_password_as_a_form_message(
    patient, prescriber, director, eligible_for_im
):
    client = signed_in(prescriber)
    url = reverse("treatment:plans", kwargs={"patient_id": patient.external_id})
    data = {k: ("" if v is None else v) for k, v in im_plan().items()}
    data |= {
        "password": PASSWORD,
        "change_reason": "",
        "re_evaluation_due_on": data["re_evaluation_due_on"].isoformat(),
        "ceiling_director": director.username,
        "ceiling_director_password": "wrong",
        "ceiling_reason": "Big.",
    }
    response = client.post(url, data)
    assert response.status_code == 422
    page = response.content.decode()
    assert "name or password is not right" in page
    assert 'name="ceiling_director"' in page  # the form, not an error page
    assert not TreatmentPlan.objects.exists()


@pytest.mark.django_db
def test_the_plan_form_shows_the_prescribers_own_wrong_password_as_a_form_message(patient, prescriber, eligible_for_im):
    client = signed_in(prescriber)
    url = reverse("treatment:plans", kwargs={"patient_id": patient.external_id})
    data = {k: ("" if v is None else v) for k, v in im_plan(cap_mg=Decimal("100")).items()}
    data |= {"password": "wrong", "change_reason": "", "re_evaluation_due_on": data["re_evaluation_due_on"].isoformat()}
    response = client.post(url, data)
    assert response.status_code == 422
    page = response.content.decode()
    assert "The password did not match" in page and 'name="password"' in page
    assert not TreatmentPlan.objects.exists()
