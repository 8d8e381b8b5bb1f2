"""A dose comes only from the patient's current signed plan; a replaced, paused or ended plan doses nobody."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.core.errors import Conflict, RuleViolation
from ketaclinic.core.permissions import Role
from ketaclinic.sessions.models import DoseAdministration
from ketaclinic.sessions.services.dose import dose_start, dose_verify
from ketaclinic.treatment.services import treatment_plan_sign
from tests.factories import PASSWORD, PatientFactory, StaffFactory
from tests.sessions.steps import checklist_run, prepare_post, prepared, ready, signed_iv_session
from tests.steps import acting, signed_in
from tests.treatment.steps import iv_plan


@pytest.fixture
def prescriber(center):  # type: ignore[no-untyped-def]
    return StaffFactory(center=center, role=Role.PRESCRIBER, with_password=True)


@pytest.fixture
def booked(center, prescriber):  # type: ignore[no-untyped-def]
    """A session booked under plan v1: 1.0 mg/kg, cap 100 mg (the case in issue #10)."""
    return signed_iv_session(
        prescriber, PatientFactory(center=center), starts_at=timezone.now(), mg_per_kg=Decimal("1.0")
    )


def replace_plan(session, prescriber, **changes):  # type: ignore[no-untyped-def]
    """Sign v2 of the session's patient's plan: 0.5 mg/kg, cap 40 mg, with ``changes``."""
    fields = iv_plan(mg_per_kg=Decimal("0.5"), cap_mg=Decimal("40")) | changes
    return treatment_plan_sign(
        actor=acting(prescriber),
        patient=session.patient,
        fields=fields,
        password=PASSWORD,
        change_reason="Course review",
    )


def signed_on(plan) -> str:  # type: ignore[no-untyped-def]
    return f"{timezone.localtime(plan.signed_at, plan.patient.center.zone):%Y-%m-%d}"


@pytest.mark.django_db
def test_dose_prepare_refuses_a_session_whose_plan_was_replaced_by_one_ending_the_course(booked, prescriber):
    v2 = replace_plan(booked, prescriber, phase="ended", ended_reason="Remission; care back to the PCP.")
    with pytest.raises(RuleViolation) as raised:
        prepared(booked)
    assert raised.value.code == "course_ended"
    assert str(raised.value) == (
        f"Plan v1 was replaced by v2 on {signed_on(v2)}, which ended the course: this session cannot start; "
        "cancel it or book under a current plan."
    )
    assert not DoseAdministration.objects.exists()


@pytest.mark.django_db
def test_dose_prepare_refuses_a_session_whose_course_is_on_hold(booked, prescriber):
    replace_plan(booked, prescriber, phase="on_hold")
    with pytest.raises(RuleViolation) as raised:
        prepared(booked)
    assert raised.value.code == "course_on_hold" and "put the course on hold" in str(raised.value)
    assert not DoseAdministration.objects.exists()


@pytest.mark.django_db
def test_dose_prepare_refuses_the_session_of_a_plan_that_itself_ended_the_course(booked, prescriber):
    ended = replace_plan(booked, prescriber, phase="ended", ended_reason="Patient moved away.")
    booked.plan = ended  # booked on the ending version itself (as old data may be)
    booked.save()
    with pytest.raises(RuleViolation) as raised:
        prepared(booked)
    assert raised.value.code == "course_ended" and "Plan v2 ended the course" in str(raised.value)


@pytest.mark.django_db
def test_the_dose_comes_from_the_current_plan_not_the_one_the_session_was_booked_under(booked, prescriber):
    v2 = replace_plan(booked, prescriber)
    dose = prepared(booked, drawn_mg=Decimal("40"))
    # v2: 0.5 mg/kg x 80 kg = 40 mg (v1 would have given 80 mg); the cap is v2's 40 mg.
    assert (dose.dose_mg, dose.cap_mg, dose.mg_per_kg, dose.plan) == (Decimal("40"), Decimal("40"), Decimal("0.5"), v2)


@pytest.mark.django_db
def test_a_prepared_dose_is_not_verified_once_its_plan_is_replaced(booked, prescriber, second_nurse):
    dose = prepared(booked, drawn_mg=Decimal("80"))
    assert dose.dose_mg == Decimal("80")
    replace_plan(booked, prescriber)
    with pytest.raises(Conflict) as raised:
        dose_verify(actor=acting(second_nurse), dose=dose, password=PASSWORD)
    assert raised.value.code == "plan_changed" and "withdraw it" in str(raised.value)
    assert DoseAdministration.objects.get().status == "prepared"


@pytest.mark.django_db
def test_a_verified_dose_does_not_start_once_its_plan_is_replaced(center, booked, prescriber, second_nurse):
    ready(center, booked)
    checklist_run(booked)
    dose = dose_verify(actor=acting(second_nurse), dose=prepared(booked, drawn_mg=Decimal("80")), password=PASSWORD)
    replace_plan(booked, prescriber, phase="ended", ended_reason="Remission; care back to the PCP.")
    with pytest.raises(RuleViolation) as raised:
        dose_start(actor=acting(booked.nurse), dose=dose)
    assert raised.value.code == "course_ended" and "cannot start" in str(raised.value)
    assert DoseAdministration.objects.get().status == "verified"


@pytest.mark.django_db
def test_a_verified_dose_under_a_replaced_plan_does_not_start_even_if_the_course_goes_on(
    center, booked, prescriber, second_nurse
):
    ready(center, booked)
    checklist_run(booked)
    dose = dose_verify(actor=acting(second_nurse), dose=prepared(booked, drawn_mg=Decimal("80")), password=PASSWORD)
    replace_plan(booked, prescriber)
    with pytest.raises(Conflict) as raised:
        dose_start(actor=acting(booked.nurse), dose=dose)
    assert raised.value.code == "plan_changed"
    assert DoseAdministration.objects.get().status == "verified"


@pytest.mark.django_db
def test_the_nurse_sees_why_the_dose_of_an_ended_course_is_refused(booked, prescriber):
    replace_plan(booked, prescriber, phase="ended", ended_reason="Remission; care back to the PCP.")
    nurse = signed_in(booked.nurse)
    response = nurse.post(
        reverse("sessions:dose_prepare", kwargs={"session_id": booked.external_id}), prepare_form(booked), follow=True
    )
    page = response.content.decode()
    assert "Plan v1 was replaced by v2" in page and "which ended the course" in page
    assert not DoseAdministration.objects.exists()


def prepare_form(session):  # type: ignore[no-untyped-def]
    return prepare_post(session)
