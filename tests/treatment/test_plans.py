from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.audit.models import AuditEntry
from ketaclinic.core.errors import Forbidden, RuleViolation
from ketaclinic.core.permissions import Role
from ketaclinic.intake.services.consultation import consultation_update
from ketaclinic.treatment.models import TreatmentPlan
from ketaclinic.treatment.selectors import plans_due_for_re_evaluation
from ketaclinic.treatment.services import plan_defaults, protocol_get, treatment_plan_sign
from tests.factories import PASSWORD, StaffFactory, eligible_consultation_sign
from tests.steps import acting, signed_in
from tests.treatment.steps import iv_plan


@pytest.fixture
def prescriber(center):  # type: ignore[no-untyped-def]
    return StaffFactory(center=center, role=Role.PRESCRIBER, with_password=True)


@pytest.fixture
def eligible_for_iv(prescriber, patient):  # type: ignore[no-untyped-def]
    return eligible_consultation_sign(prescriber=prescriber, patient=patient)[1]


@pytest.mark.django_db
def test_a_plan_starts_from_the_protocol_and_is_signed_with_the_decision_it_rests_on(
    patient, prescriber, eligible_for_iv
):
    plan = treatment_plan_sign(actor=acting(prescriber), patient=patient, fields=iv_plan(), password=PASSWORD)
    assert (plan.version, plan.route, plan.mg_per_kg, plan.cap_mg) == (1, "iv", Decimal("0.5"), Decimal("100"))
    assert (plan.monitoring_interval_minutes, plan.min_observation_minutes) == (10, 40)
    assert plan.decision == eligible_for_iv
    assert plan.protocol_settings["mg_per_kg"]["source"]
    assert len(plan.content_sha256) == 64
    assert AuditEntry.objects.filter(action="treatment_plan.signed", patient=patient).exists()


@pytest.mark.django_db
def test_no_plan_without_an_eligible_decision_for_the_route(patient, prescriber, eligible_for_iv):
    with pytest.raises(RuleViolation) as raised:
        treatment_plan_sign(
            actor=acting(prescriber),
            patient=patient,
            fields=iv_plan(protocol_key="esketamine_trd_us", fixed_dose_mg=Decimal("56"), mg_per_kg=None, cap_mg=None),
            password=PASSWORD,
        )
    assert raised.value.code == "no_eligible_decision"
    assert not TreatmentPlan.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"mg_per_kg": Decimal("1.5")}, "dose_outside_protocol"),
        ({"cap_mg": Decimal("150")}, "cap_above_protocol"),
        ({"cap_mg": None}, "cap_required"),
        ({"monitoring_interval_minutes": 30}, "monitoring_too_sparse"),
        ({"min_observation_minutes": 20}, "observation_too_short"),
        ({"re_evaluation_due_on": dt.date(2020, 1, 1)}, "re_evaluation_due"),
    ],
)
def test_a_plan_cannot_go_past_its_protocol(patient, prescriber, eligible_for_iv, changes, code):
    with pytest.raises(RuleViolation) as raised:
        treatment_plan_sign(actor=acting(prescriber), patient=patient, fields=iv_plan(**changes), password=PASSWORD)
    assert raised.value.code == code
    assert not TreatmentPlan.objects.exists()


@pytest.mark.django_db
def test_changes_make_a_new_version_and_the_old_one_stays(patient, prescriber, eligible_for_iv):
    first = treatment_plan_sign(actor=acting(prescriber), patient=patient, fields=iv_plan(), password=PASSWORD)
    with pytest.raises(RuleViolation) as raised:
        treatment_plan_sign(
            actor=acting(prescriber), patient=patient, fields=iv_plan(mg_per_kg=Decimal("0.75")), password=PASSWORD
        )
    assert raised.value.code == "change_reason_required"
    second = treatment_plan_sign(
        actor=acting(prescriber),
        patient=patient,
        fields=iv_plan(mg_per_kg=Decimal("0.75")),
        password=PASSWORD,
        change_reason="No response after 4 infusions: titrate.",
    )
    first.refresh_from_db()
    assert (second.version, second.supersedes, first.mg_per_kg) == (2, first, Decimal("0.5"))
    ended = treatment_plan_sign(
        actor=acting(prescriber),
        patient=patient,
        password=PASSWORD,
        change_reason="Course complete",
        fields=iv_plan(phase="ended", ended_reason="Remission sustained; care returned to PCP."),
    )
    assert ended.phase == "ended" and ended.version == 3
    with pytest.raises(RuleViolation):
        treatment_plan_sign(
            actor=acting(prescriber),
            patient=patient,
            password=PASSWORD,
            change_reason="x",
            fields=iv_plan(phase="ended"),
        )


@pytest.mark.django_db
def test_only_a_prescriber_signs_and_only_with_their_password(center, patient, prescriber, eligible_for_iv):
    with pytest.raises(Forbidden):
        treatment_plan_sign(actor=acting(prescriber), patient=patient, fields=iv_plan(), password="wrong")
    nurse = StaffFactory(center=center, role=Role.NURSE, with_password=True)
    with pytest.raises(Forbidden):
        treatment_plan_sign(actor=acting(nurse), patient=patient, fields=iv_plan(), password=PASSWORD)
    assert not TreatmentPlan.objects.exists()


@pytest.mark.django_db
def test_re_evaluation_queue_lists_current_plans_coming_due(center, patient, prescriber, eligible_for_iv):
    treatment_plan_sign(
        actor=acting(prescriber),
        patient=patient,
        password=PASSWORD,
        fields=iv_plan(re_evaluation_due_on=timezone.localdate() + dt.timedelta(days=3)),
    )
    due = list(plans_due_for_re_evaluation(actor=acting(prescriber), center_id=center.pk, today=timezone.localdate()))
    assert [p.patient for p in due] == [patient]
    page = signed_in(prescriber).get(reverse("treatment:re_evaluation")).content.decode()
    assert patient.mrn in page


@pytest.mark.django_db
def test_the_plan_tab_signs_through_the_form(patient, prescriber, eligible_for_iv):
    client = signed_in(prescriber)
    url = reverse("treatment:plans", kwargs={"patient_id": patient.external_id})
    page = client.get(url).content.decode()
    assert "No plan signed yet" in page
    data = {k: ("" if v is None else v) for k, v in iv_plan().items()} | {"password": PASSWORD, "change_reason": ""}
    data["re_evaluation_due_on"] = data["re_evaluation_due_on"].isoformat()
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert "Version" in client.get(url).content.decode()


@pytest.mark.django_db
def test_sessions_cannot_be_closer_than_the_protocol_allows(patient, prescriber, eligible_for_iv):
    with pytest.raises(RuleViolation) as raised:
        treatment_plan_sign(
            actor=acting(prescriber), patient=patient, fields=iv_plan(min_spacing_days=0), password=PASSWORD
        )
    assert raised.value.code == "spacing_too_short"


@pytest.mark.django_db
def test_a_plan_cannot_rest_on_a_decision_the_consultation_has_outgrown(patient, prescriber, eligible_for_iv):
    from ketaclinic.intake.consultation_sections import HISTORY_FACTS

    history = dict.fromkeys(HISTORY_FACTS, False) | {"has_escort_home": True, "has_recent_myocardial_infarction": True}
    consultation_update(
        actor=acting(prescriber), consultation=eligible_for_iv.consultation, fields={"history": history}
    )
    with pytest.raises(RuleViolation) as raised:
        treatment_plan_sign(actor=acting(prescriber), patient=patient, fields=iv_plan(), password=PASSWORD)
    assert raised.value.code == "decision_outdated"
    assert not TreatmentPlan.objects.exists()


@pytest.mark.django_db
def test_an_oral_plan_needs_a_ceiling_and_a_dose_within_it(patient, prescriber):
    eligible_consultation_sign(prescriber=prescriber, patient=patient, route="oral_sublingual")
    oral = iv_plan() | plan_defaults(protocol_get("oral_sublingual_ketamine"))
    for changes, code in (
        ({"cap_mg": None, "fixed_dose_mg": Decimal("100")}, "cap_required"),
        ({"cap_mg": Decimal("10"), "fixed_dose_mg": Decimal("5000")}, "dose_outside_protocol"),
    ):
        with pytest.raises(RuleViolation) as raised:
            treatment_plan_sign(actor=acting(prescriber), patient=patient, fields=oral | changes, password=PASSWORD)
        assert raised.value.code == code
    plan = treatment_plan_sign(
        actor=acting(prescriber),
        patient=patient,
        password=PASSWORD,
        fields=oral | {"cap_mg": Decimal("200"), "fixed_dose_mg": Decimal("100")},
    )
    assert (plan.fixed_dose_mg, plan.mg_per_kg) == (Decimal("100"), None)
