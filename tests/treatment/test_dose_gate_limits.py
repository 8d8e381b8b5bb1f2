"""Plan caps within the protocol's mg ceiling, a medical director's sign-off above it, and
esketamine's day-1 dose at plan signing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.audit.models import AuditEntry
from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.permissions import Role
from ketaclinic.treatment.models import TreatmentPlan
from ketaclinic.treatment.services import CeilingSignOff, plan_defaults, protocol_get, treatment_plan_sign
from tests.factories import PASSWORD, StaffFactory, TreatmentSessionFactory, eligible_consultation_sign
from tests.steps import acting, signed_in


@pytest.fixture
def prescriber(center):  # type: ignore[no-untyped-def]
    return StaffFactory(center=center, role=Role.PRESCRIBER, with_password=True)


@pytest.fixture
def director(center):  # type: ignore[no-untyped-def]
    return StaffFactory(center=center, role=Role.MEDICAL_DIRECTOR, with_password=True)


def plan_fields(protocol_key: str, **changes):  # type: ignore[no-untyped-def]
    return (
        plan_defaults(protocol_get(protocol_key))
        | {
            "indication": "Treatment-resistant depression",
            "goals": "PHQ-9 below 10",
            "measurement_instruments": ["phq9"],
            "re_evaluation_due_on": timezone.localdate() + dt.timedelta(days=21),
            "phase": "induction",
        }
        | changes
    )


def im_plan(**changes):  # type: ignore[no-untyped-def]
    return plan_fields("im_racemic_ketamine", mg_per_kg=Decimal("1.0"), **changes)


@pytest.fixture
def eligible_for_im(prescriber, patient):  # type: ignore[no-untyped-def]
    return eligible_consultation_sign(prescriber=prescriber, patient=patient, route="im")[1]


@pytest.mark.django_db
def test_an_im_plan_cap_above_the_protocol_ceiling_is_refused(patient, prescriber, eligible_for_im):
    """The reproduced plan: IM 1.0 mg/kg with a 350 mg cap was signed."""
    with pytest.raises(RuleViolation) as raised:
        treatment_plan_sign(
            actor=acting(prescriber), patient=patient, fields=im_plan(cap_mg=Decimal("350")), password=PASSWORD
        )
    assert raised.value.code == "cap_above_protocol"
    assert "100 mg ceiling" in str(raised.value.message)
    assert not TreatmentPlan.objects.exists()


@pytest.mark.django_db
def test_a_plan_may_lower_the_ceiling_freely(patient, prescriber, eligible_for_im):
    plan = treatment_plan_sign(
        actor=acting(prescriber), patient=patient, fields=im_plan(cap_mg=Decimal("60")), password=PASSWORD
    )
    assert (plan.cap_mg, plan.ceiling_approved_by) == (Decimal("60"), None)


@pytest.mark.django_db
def test_a_medical_director_signs_off_a_cap_above_the_ceiling(patient, prescriber, director, eligible_for_im):
    sign_off = CeilingSignOff(
        director_username=director.username, password=PASSWORD, reason="140 kg patient; reviewed."
    )
    plan = treatment_plan_sign(
        actor=acting(prescriber), patient=patient, fields=im_plan(cap_mg=Decimal("140")), password=PASSWORD,
        ceiling_sign_off=sign_off,
    )  # fmt: skip
    assert (plan.cap_mg, plan.ceiling_approved_by, plan.ceiling_approval_reason) == (
        Decimal("140"),
        director,
        "140 kg patient; reviewed.",
    )
    entry = AuditEntry.objects.get(action="treatment_plan.ceiling_raised", patient=patient)
    assert entry.actor == director and entry.reason == "140 kg patient; reviewed."


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "password", "reason", "raises", "code"),
    [
        # A wrong password, a non-director and an unknown name get one refusal (no username probing).
        ("director", "wrong", "Reviewed.", RuleViolation, "ceiling_sign_off_refused"),
        ("director", PASSWORD, " ", RuleViolation, "ceiling_reason_required"),
        # The signing prescriber is not a second person.
        ("prescriber", PASSWORD, "Reviewed.", RuleViolation, "ceiling_self_sign_off"),
        ("nobody", PASSWORD, "Reviewed.", RuleViolation, "ceiling_sign_off_refused"),
    ],
)
def test_a_ceiling_sign_off_needs_a_director_their_password_and_a_reason(
    patient, prescriber, director, eligible_for_im, who, password, reason, raises, code
):
    username = {"director": director.username, "prescriber": prescriber.username, "nobody": "nobody"}[who]
    with pytest.raises(raises) as raised:
        treatment_plan_sign(
            actor=acting(prescriber), patient=patient, fields=im_plan(cap_mg=Decimal("140")), password=PASSWORD,
            ceiling_sign_off=CeilingSignOff(director_username=username, password=password, reason=reason),
        )  # fmt: skip
    assert raised.value.code == code
    assert not TreatmentPlan.objects.exists()


@pytest.mark.django_db
def test_a_director_in_another_center_cannot_sign_off(patient, prescriber, other_center, eligible_for_im):
    elsewhere = StaffFactory(center=other_center, role=Role.MEDICAL_DIRECTOR, with_password=True)
    with pytest.raises(RuleViolation) as raised:
        treatment_plan_sign(
            actor=acting(prescriber), patient=patient, fields=im_plan(cap_mg=Decimal("140")), password=PASSWORD,
            ceiling_sign_off=CeilingSignOff(director_username=elsewhere.username, password=PASSWORD, reason="x"),
        )  # fmt: skip
    assert raised.value.code == "ceiling_sign_off_refused"


@pytest.mark.django_db
def test_no_sign_off_passes_the_hard_bound(patient, prescriber, director, eligible_for_im):
    sign_off = CeilingSignOff(director_username=director.username, password=PASSWORD, reason="Reviewed.")
    with pytest.raises(RuleViolation) as raised:
        treatment_plan_sign(
            actor=acting(prescriber), patient=patient, fields=im_plan(cap_mg=Decimal("400")), password=PASSWORD,
            ceiling_sign_off=sign_off,
        )  # fmt: skip
    assert raised.value.code == "cap_above_hard_limit"
    assert not TreatmentPlan.objects.exists()


@pytest.fixture
def eligible_for_esketamine(prescriber, patient):  # type: ignore[no-untyped-def]
    return eligible_consultation_sign(prescriber=prescriber, patient=patient, route="esketamine_nasal_spray")[1]


@pytest.mark.django_db
def test_no_sign_off_raises_a_label_ceiling(patient, prescriber, director, eligible_for_esketamine):
    sign_off = CeilingSignOff(director_username=director.username, password=PASSWORD, reason="Reviewed.")
    with pytest.raises(RuleViolation) as raised:
        treatment_plan_sign(
            actor=acting(prescriber), patient=patient, password=PASSWORD, ceiling_sign_off=sign_off,
            fields=plan_fields("esketamine_trd_us", cap_mg=Decimal("112"), fixed_dose_mg=Decimal("56")),
        )  # fmt: skip
    assert raised.value.code == "cap_above_hard_limit"
    assert "label" in str(raised.value.message)


@pytest.mark.django_db
def test_a_first_esketamine_plan_of_84_mg_is_refused_with_the_labels_day_1_dose(
    patient, prescriber, eligible_for_esketamine
):
    with pytest.raises(RuleViolation) as raised:
        treatment_plan_sign(
            actor=acting(prescriber), patient=patient, password=PASSWORD,
            fields=plan_fields("esketamine_trd_us", fixed_dose_mg=Decimal("84")),
        )  # fmt: skip
    assert raised.value.code == "esketamine_first_dose"
    assert "56 mg" in str(raised.value.message) and "Spravato US label" in str(raised.value.message)
    assert not TreatmentPlan.objects.exists()
    plan = treatment_plan_sign(
        actor=acting(prescriber), patient=patient, password=PASSWORD, fields=plan_fields("esketamine_trd_us")
    )
    assert (plan.fixed_dose_mg, plan.cap_mg) == (Decimal("56"), Decimal("84"))


@pytest.mark.django_db
def test_mdsi_starts_at_84_mg(patient, prescriber, eligible_for_esketamine):
    plan = treatment_plan_sign(
        actor=acting(prescriber), patient=patient, password=PASSWORD,
        fields=plan_fields("esketamine_mdsi_us", fixed_dose_mg=Decimal("84")),
    )  # fmt: skip
    assert plan.fixed_dose_mg == Decimal("84")


@pytest.mark.django_db
def test_after_a_first_esketamine_dose_a_new_version_may_go_to_84_mg(patient, prescriber, eligible_for_esketamine):
    from ketaclinic.sessions.models import DoseAdministration

    first = treatment_plan_sign(
        actor=acting(prescriber), patient=patient, password=PASSWORD, fields=plan_fields("esketamine_trd_us")
    )
    session = TreatmentSessionFactory(plan=first, nurse=prescriber)
    DoseAdministration.objects.create(
        session=session, drug="esketamine", route="esketamine_nasal_spray", protocol_key="esketamine_trd_us",
        cap_mg=Decimal("84"), dose_mg=Decimal("56"), device_count=2, rule_version="test", lot_number="L1",
        lot_expires_on=dt.date(2030, 1, 1), drawn_mg=Decimal("56"), prepared_by=prescriber,
        prepared_at=session.starts_at, status="completed", started_at=session.starts_at,
    )  # fmt: skip
    second = treatment_plan_sign(
        actor=acting(prescriber), patient=patient, password=PASSWORD, change_reason="Tolerated 56 mg; step up.",
        fields=plan_fields("esketamine_trd_us", fixed_dose_mg=Decimal("84")),
    )  # fmt: skip
    assert second.fixed_dose_mg == Decimal("84")


@pytest.mark.django_db
def test_the_plan_form_shows_why_a_cap_is_refused_and_takes_the_sign_off(
    patient, prescriber, director, eligible_for_im
):
    client = signed_in(prescriber)
    url = reverse("treatment:plans", kwargs={"patient_id": patient.external_id})
    data = {k: ("" if v is None else v) for k, v in im_plan(cap_mg=Decimal("140")).items()}
    data |= {
        "password": PASSWORD,
        "change_reason": "",
        "re_evaluation_due_on": data["re_evaluation_due_on"].isoformat(),
    }
    refused = client.post(url, data)
    assert refused.status_code == 422
    assert "without a medical director" in refused.content.decode()
    assert not TreatmentPlan.objects.exists()
    data |= {"ceiling_director": director.username, "ceiling_director_password": PASSWORD, "ceiling_reason": "Big."}
    assert client.post(url, data).status_code == 302
    page = client.get(url).content.decode()
    assert "Ceiling sign-off" in page and "Big." in page
