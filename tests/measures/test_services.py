from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from ketaclinic.audit.models import AuditEntry
from ketaclinic.core.errors import Conflict, Forbidden, NotFound, RuleViolation
from ketaclinic.core.measurement_schedule import CourseDates
from ketaclinic.core.permissions import Role
from ketaclinic.measures.models import MeasurementDue, OutgoingMessage, QuestionnaireLink, QuestionnaireResponse
from ketaclinic.measures.services.instrument_wording import instrument_wording_load
from ketaclinic.measures.services.links import (
    questionnaire_link_answer,
    questionnaire_link_confirm_identity,
    questionnaire_link_create,
    questionnaire_link_open,
)
from ketaclinic.measures.services.responses import questionnaire_response_save
from ketaclinic.measures.services.risk import risk_alerts_escalate_overdue
from ketaclinic.measures.services.schedules import measurement_schedule_create
from ketaclinic.messaging.sending import MemoryTextMessageBackend
from ketaclinic.messaging.tasks import send_measurement_reminders
from ketaclinic.patients.models import PatientAlert
from ketaclinic.patients.services.alerts import patient_alert_acknowledge
from tests.factories import StaffFactory
from tests.steps import acting

WORKED_EXAMPLE = {1: 2, 2: 3, 3: 2, 4: 2, 5: 1, 6: 2, 7: 1, 8: 0, 9: 1}  # measures.md §2.1
NOT_AT_ALL = dict.fromkeys(range(1, 10), 0)


def phq9(actor, patient, answers=WORKED_EXAMPLE, complete=True, **kwargs):  # type: ignore[no-untyped-def]
    return questionnaire_response_save(
        actor=acting(actor),
        patient=patient,
        instrument_code="phq9",
        answers=answers,
        source="staff",
        complete=complete,
        **kwargs,
    )


@pytest.mark.django_db
def test_completed_phq9_stores_answers_score_and_the_rule_it_used(patient, nurse):
    response = phq9(nurse, patient)
    response.refresh_from_db()
    assert (response.total, response.severity, response.completeness) == (14, "moderate", "complete")
    assert response.answers == {str(k): v for k, v in WORKED_EXAMPLE.items()}
    assert response.scoring_rule_version
    assert response.verdict["reasons"]
    assert "phq9_item9_positive" in response.flags
    assert AuditEntry.objects.filter(action="questionnaire_response.completed", patient=patient, actor=nurse).exists()


@pytest.mark.django_db
def test_positive_item_9_raises_a_banner_alert_that_quotes_the_answer(patient, nurse):
    response = phq9(nurse, patient)
    alert = PatientAlert.objects.get(patient=patient)
    assert alert.kind == PatientAlert.Kind.SUICIDE_RISK
    assert "'Several days' [1]" in alert.reason
    assert "phq9_item9_positive" in alert.reason
    assert alert.source_id == str(response.external_id)


@pytest.mark.django_db
def test_item_9_at_zero_raises_no_alert(patient, nurse):
    phq9(nurse, patient, answers=NOT_AT_ALL)
    assert not PatientAlert.objects.exists()


@pytest.mark.django_db
def test_partial_answers_are_saved_then_finished_later(patient, nurse):
    started = phq9(nurse, patient, answers={1: 1, 2: 1}, complete=False)
    assert started.status == QuestionnaireResponse.Status.IN_PROGRESS
    assert started.total is None
    finished = phq9(nurse, patient, answers=NOT_AT_ALL, response=started)
    assert finished.pk == started.pk
    assert finished.total == 0
    with pytest.raises(Conflict):
        phq9(nurse, patient, answers=NOT_AT_ALL, response=finished)


@pytest.mark.django_db
def test_submitting_with_a_missing_item_gives_no_total_but_still_checks_item_9(patient, nurse):
    response = phq9(nurse, patient, answers={1: 3, 2: 3, 9: 2})
    assert response.total is None
    assert response.completeness == "incomplete"
    assert PatientAlert.objects.filter(patient=patient, kind="suicide_risk").exists()


@pytest.mark.django_db
def test_an_impossible_answer_is_refused_and_nothing_is_saved(patient, nurse):
    with pytest.raises(RuleViolation) as raised:
        phq9(nurse, patient, answers={1: 7})
    assert raised.value.code == "answer_not_an_option"
    assert not QuestionnaireResponse.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="questionnaire_response").exists()


@pytest.mark.django_db
def test_clinician_rated_scales_need_a_rater(center, patient):
    madrs = dict.fromkeys(range(1, 11), 1)
    with pytest.raises(Forbidden):
        questionnaire_response_save(
            actor=acting(StaffFactory(center=center, role=Role.FRONT_DESK)),
            patient=patient,
            instrument_code="madrs",
            answers=madrs,
            source="clinician",
            complete=True,
        )
    nurse = StaffFactory(center=center, role=Role.NURSE)
    with pytest.raises(RuleViolation):
        questionnaire_response_save(
            actor=acting(nurse), patient=patient, instrument_code="madrs", answers=madrs, source="staff", complete=True
        )
    rated = questionnaire_response_save(
        actor=acting(nurse), patient=patient, instrument_code="madrs", answers=madrs, source="clinician", complete=True
    )
    assert rated.total == 10


@pytest.mark.django_db
def test_link_walkthrough_identity_partial_save_and_single_use(patient, nurse):
    link, token = questionnaire_link_create(actor=acting(nurse), patient=patient, instrument_code="phq9")
    assert QuestionnaireLink.objects.get().token_hash != token  # only a hash is stored
    opened = questionnaire_link_open(token=token)
    assert not questionnaire_link_confirm_identity(link=opened, date_of_birth=dt.date(2000, 1, 1))
    assert questionnaire_link_confirm_identity(link=opened, date_of_birth=patient.date_of_birth)
    questionnaire_link_answer(link=opened, answers={1: 2}, complete=False)
    response = questionnaire_link_answer(link=questionnaire_link_open(token=token), answers=NOT_AT_ALL, complete=True)
    assert response.source == "patient"
    assert response.entered_by is None
    assert response.total == 0
    assert QuestionnaireResponse.objects.count() == 1
    with pytest.raises(NotFound):
        questionnaire_link_open(token=token)
    labels = set(AuditEntry.objects.filter(patient=patient).values_list("actor_label", flat=True))
    assert f"patient via link {link.external_id}" in labels


@pytest.mark.django_db
def test_link_locks_after_five_wrong_birth_dates(patient, nurse):
    _, token = questionnaire_link_create(actor=acting(nurse), patient=patient, instrument_code="phq9")
    for _attempt in range(5):
        questionnaire_link_confirm_identity(
            link=questionnaire_link_open(token=token), date_of_birth=dt.date(1900, 1, 1)
        )
    with pytest.raises(NotFound) as raised:
        questionnaire_link_open(token=token)
    assert raised.value.code == "link_locked"


@pytest.mark.django_db
def test_link_expires(patient, nurse):
    _, token = questionnaire_link_create(actor=acting(nurse), patient=patient, instrument_code="gad7", valid_hours=2)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=3)), pytest.raises(NotFound):
        questionnaire_link_open(token=token)


@pytest.mark.django_db
def test_link_for_a_licensed_scale_waits_for_its_wording(center, patient, nurse):
    with pytest.raises(RuleViolation) as raised:
        questionnaire_link_create(actor=acting(nurse), patient=patient, instrument_code="qids_sr16")
    assert raised.value.code == "wording_missing"
    admin = StaffFactory(center=center, role=Role.CENTER_ADMIN)
    texts = {n: f"Licensed wording of item {n}" for n in range(1, 17)}
    instrument_wording_load(
        actor=acting(admin),
        organization_id=center.organization_id,
        center_id=center.pk,
        instrument_code="qids_sr16",
        language="en",
        item_texts=texts,
        instructions="",
        licence_reference="Permission letter 2026-11",
    )
    link, _ = questionnaire_link_create(actor=acting(nurse), patient=patient, instrument_code="qids_sr16")
    assert link.instrument_code == "qids_sr16"


@pytest.mark.django_db
def test_wording_load_needs_every_item_and_a_licence(center):
    admin = StaffFactory(center=center, role=Role.CENTER_ADMIN)
    with pytest.raises(RuleViolation) as raised:
        instrument_wording_load(
            actor=acting(admin),
            organization_id=center.organization_id,
            center_id=center.pk,
            instrument_code="madrs",
            language="en",
            item_texts={1: "x"},
            instructions="",
            licence_reference="ok",
        )
    assert raised.value.code == "wording_incomplete"


@pytest.mark.django_db
def test_unacknowledged_risk_alert_escalates_by_email_after_the_organizations_time(
    center, patient, nurse, django_capture_on_commit_callbacks
):
    prescriber = StaffFactory(center=center, role=Role.PRESCRIBER, email="dr@example.org")
    center.organization.risk_alert_escalation_minutes = 20
    center.organization.save()
    phq9(nurse, patient)
    alert = PatientAlert.objects.get()
    assert risk_alerts_escalate_overdue(now=alert.raised_at + dt.timedelta(minutes=19)) == []
    with django_capture_on_commit_callbacks(execute=True):
        escalated = risk_alerts_escalate_overdue(now=alert.raised_at + dt.timedelta(minutes=21))
    assert escalated == [alert]
    (message,) = mail.outbox
    assert message.to == [prescriber.email]
    assert patient.mrn in message.body
    assert patient.family_name not in message.body
    assert AuditEntry.objects.filter(action="patient_alert.escalated", patient=patient).exists()


@pytest.mark.django_db
def test_acknowledged_alerts_do_not_escalate(center, patient, nurse):
    phq9(nurse, patient)
    alert = PatientAlert.objects.get()
    with pytest.raises(RuleViolation):
        patient_alert_acknowledge(actor=acting(nurse), alert=alert, action_taken=" ")
    patient_alert_acknowledge(
        actor=acting(nurse), alert=alert, action_taken="Called patient; C-SSRS negative; safety plan."
    )
    assert risk_alerts_escalate_overdue(now=timezone.now() + dt.timedelta(days=1)) == []
    entry = AuditEntry.objects.get(action="patient_alert.acknowledged")
    assert entry.changes["action_taken"][1].startswith("Called patient")


@pytest.mark.django_db
def test_front_desk_cannot_acknowledge_risk_alerts(center, patient, nurse):
    phq9(nurse, patient)
    with pytest.raises(Forbidden):
        patient_alert_acknowledge(
            actor=acting(StaffFactory(center=center, role=Role.FRONT_DESK)),
            alert=PatientAlert.objects.get(),
            action_taken="Saw it",
        )


@pytest.mark.django_db
def test_schedule_creates_due_items_and_completing_one_closes_it(patient, center):
    nurse = StaffFactory(center=center, role=Role.NURSE)
    today = timezone.localdate()
    rows = measurement_schedule_create(
        actor=acting(nurse),
        patient=patient,
        instruments=["phq9", "gad7"],
        course=CourseDates(baseline_on=today, session_dates=(today + dt.timedelta(days=2),)),
    )
    assert len(rows) == 6  # baseline, pre-session and day-after, for two scales
    baseline = MeasurementDue.objects.get(instrument_code="phq9", kind="baseline")
    phq9(nurse, patient, answers=NOT_AT_ALL, due=baseline)
    baseline.refresh_from_db()
    assert baseline.completed_at is not None


@pytest.mark.django_db
def test_reminders_send_a_working_link_by_email_and_text(patient, nurse):
    patient.email, patient.phone = "ana@example.com", "(714) 555-0142"
    patient.save()
    today = timezone.localdate()
    measurement_schedule_create(
        actor=acting(StaffFactory(center=patient.center, role=Role.PRESCRIBER)),
        patient=patient,
        instruments=["phq9"],
        course=CourseDates(baseline_on=today),
    )
    result = send_measurement_reminders.enqueue()
    assert result.return_value == {"sent": 2, "failed": 0}
    (email,) = mail.outbox
    (text,) = MemoryTextMessageBackend.outbox
    assert text.to == "(714) 555-0142"
    token = email.body.split("/q/")[1].split("/")[0]
    assert questionnaire_link_open(token=token).patient == patient
    assert set(OutgoingMessage.objects.values_list("status", flat=True)) == {"sent"}
    assert send_measurement_reminders.enqueue().return_value == {"sent": 0, "failed": 0}  # once per due item


@pytest.mark.django_db(transaction=True)
def test_reminders_run_through_the_database_task_worker(settings, patient, center):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    patient.email, patient.phone = "ana@example.com", ""
    patient.save()
    measurement_schedule_create(
        actor=acting(StaffFactory(center=center, role=Role.NURSE)),
        patient=patient,
        instruments=["gad7"],
        course=CourseDates(baseline_on=timezone.localdate()),
    )
    send_measurement_reminders.enqueue()
    assert not mail.outbox
    call_command("db_worker", "--batch", "--no-startup-delay")
    assert len(mail.outbox) == 1
    assert OutgoingMessage.objects.get().status == "sent"


@pytest.mark.django_db
def test_a_paper_form_can_be_dated_in_the_past_but_not_the_future(patient, nurse):
    earlier = timezone.now() - dt.timedelta(days=3)
    assert phq9(nurse, patient, answers=NOT_AT_ALL, administered_at=earlier).completed_at == earlier
    with pytest.raises(RuleViolation) as raised:
        phq9(nurse, patient, answers=NOT_AT_ALL, administered_at=timezone.now() + dt.timedelta(hours=1))
    assert raised.value.code == "administered_in_future"


@pytest.mark.django_db
def test_a_risk_answer_in_a_saved_draft_raises_the_alert_once(patient, nurse):
    draft = phq9(nurse, patient, answers={9: 2}, complete=False)
    assert PatientAlert.objects.filter(patient=patient, kind="suicide_risk").count() == 1
    phq9(nurse, patient, answers=WORKED_EXAMPLE | {9: 2}, response=draft)
    assert PatientAlert.objects.filter(patient=patient, kind="suicide_risk").count() == 1


@pytest.mark.django_db
def test_a_draft_cannot_be_finished_as_another_scale_or_by_staff_over_the_patients_link(patient, nurse):
    draft = phq9(nurse, patient, answers={1: 1}, complete=False)
    with pytest.raises(Conflict) as raised:
        questionnaire_response_save(
            actor=acting(nurse),
            patient=patient,
            instrument_code="gad7",
            answers={1: 1},
            source="staff",
            complete=True,
            response=draft,
        )
    assert raised.value.code == "response_mismatch"
    link, _token = questionnaire_link_create(actor=acting(nurse), patient=patient, instrument_code="phq9")
    by_link = questionnaire_link_answer(link=link, answers={1: 1}, complete=False)
    with pytest.raises(Conflict) as on_link:
        phq9(nurse, patient, answers=NOT_AT_ALL, response=by_link)
    assert on_link.value.code == "response_on_link"


@pytest.mark.django_db
def test_resolved_risk_alerts_are_not_escalated_and_only_clinicians_resolve_them(center, patient, nurse):
    from ketaclinic.patients.services.alerts import patient_alert_resolve

    phq9(nurse, patient)
    alert = PatientAlert.objects.get()
    with pytest.raises(Forbidden):
        patient_alert_resolve(
            actor=acting(StaffFactory(center=center, role=Role.FRONT_DESK)), alert=alert, resolution="ok"
        )
    with pytest.raises(RuleViolation) as raised:
        patient_alert_resolve(actor=acting(nurse), alert=alert, resolution="seen")
    assert raised.value.code == "not_acknowledged"
    patient_alert_acknowledge(actor=acting(nurse), alert=alert, action_taken="Called; safe; plan reviewed.")
    patient_alert_resolve(actor=acting(nurse), alert=PatientAlert.objects.get(), resolution="C-SSRS negative.")
    assert risk_alerts_escalate_overdue(now=timezone.now() + dt.timedelta(days=2)) == []


@pytest.mark.django_db
def test_identity_lock_is_checked_again_under_the_lock(patient, nurse):
    """A guess sent with a link object read before the fifth miss is refused all the same."""
    _link, token = questionnaire_link_create(actor=acting(nurse), patient=patient, instrument_code="phq9")
    stale = questionnaire_link_open(token=token)
    for _attempt in range(5):
        questionnaire_link_confirm_identity(link=stale, date_of_birth=dt.date(1900, 1, 1))
    with pytest.raises(NotFound):
        questionnaire_link_confirm_identity(link=stale, date_of_birth=patient.date_of_birth)
