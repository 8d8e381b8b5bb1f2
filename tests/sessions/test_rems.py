"""The esketamine REMS monitoring form: filled from the record, signed with a PDF, submitted, queued."""

from __future__ import annotations

import datetime as dt
import subprocess
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.audit.models import AuditEntry
from ketaclinic.core.errors import Conflict, Forbidden, RuleViolation
from ketaclinic.core.monitoring import check_reading
from ketaclinic.core.permissions import Role
from ketaclinic.sessions.models import (
    ReadingAlert,
    RemsMonitoringForm,
    RemsSubmission,
    SignedRecordLocked,
    TreatmentSession,
    VitalSign,
)
from ketaclinic.sessions.selectors.rems import rems_queue
from ketaclinic.sessions.services.rems import (
    rems_form_open,
    rems_form_refill,
    rems_form_save,
    rems_form_sign,
    rems_form_submit,
)
from tests.factories import PASSWORD, PatientFactory, StaffFactory, StandInPlanFactory, TreatmentSessionFactory
from tests.sessions.steps import esketamine_session, reading
from tests.steps import acting, signed_in

# What only the nurse can answer, so a complete form can be signed.
NURSE_ANSWERS = {
    "ready_to_leave_minute": "95",
    "events_details": "Mild dissociation at 15 minutes, settled by 60; drowsy (MOAA/S 4) at 15 minutes.",
    "other_adverse_events": "no",
    # The clinician's judgement, never pre-filled (issue #10).
    "vitals_acceptable_before": "yes",
    "vitals_acceptable_at_completion": "yes",
}


def complete(form: RemsMonitoringForm, actor) -> RemsMonitoringForm:  # type: ignore[no-untyped-def]
    return rems_form_save(actor=acting(actor), form=form, values=NURSE_ANSWERS)


@pytest.mark.django_db
def test_rems_form_open_fills_what_the_flowsheet_says_and_leaves_the_rest(recorded, rems_nurse):
    form = rems_form_open(actor=acting(rems_nurse), session=recorded)
    local_day = recorded.starts_at.astimezone(zoneinfo.ZoneInfo("America/Los_Angeles")).date()
    assert form.definition_version == "spravato-rems-2024"
    assert form.due_on == dt.date.fromisoformat(form.values["treatment_date"]) + dt.timedelta(days=7)
    expected = {
        "patient_first_name": "Marisol",
        "patient_last_name": "Quintero",
        "patient_date_of_birth": "1985-03-14",
        "patient_sex": "female",
        "first_treatment": "yes",
        "enrolled_before_first_treatment": "yes",
        "takes_benzodiazepines": "yes",
        "takes_non_benzodiazepine_sedative_hypnotics": "no",
        "takes_psychostimulants": "no",
        "takes_mao_inhibitors": "no",
        "takes_opioids": "no",
        "provider_first_name": "Dana",
        "provider_last_name": "Okafor",
        "provider_telephone": "(714) 555-0100",
        "provider_email": "dana@example.org",
        "setting_name": recorded.chair.room.center.name,
        "setting_address": "7600 Beach Blvd",
        "setting_city": "Buena Park",
        "setting_state": "CA",
        "setting_zip": "90620",
        "dose_administered": "84",
        "lot_number": "ESK24A17",
        "total_minutes": 125,  # first device at minute 10, discharged at 135
        "bp_before_administration": "128/82",
        "bp_after_40_minutes": "142/88",  # 42 minutes after the first device is nearer 40 than 37
        "bp_before_completion": "126/80",
        "sedation": "yes",  # MOAA/S 4 after a pre-dose 5
        "dissociation": "yes",
        "respiratory_depression": "no",
    }
    assert {key: form.values[key] for key in expected} == expected
    assert form.values["treatment_date"] == local_day.isoformat()
    # Never guessed: what the record cannot say stays empty and is not marked as from the record.
    for key in (
        "ready_to_leave_minute",
        "other_adverse_events",
        "events_details",
        "patient_middle_initial",
        "vitals_acceptable_before",
        "vitals_acceptable_at_completion",
    ):
        assert form.values[key] is None and key not in form.prefilled
    assert set(expected) <= set(form.prefilled)
    assert AuditEntry.objects.filter(action="rems_form.opened", object_id=str(form.external_id)).exists()


@pytest.mark.django_db
def test_rems_bp_at_40_minutes_takes_the_nearest_reading(recorded, rems_nurse):
    """Readings 37 and 42 minutes after the first device: 42 is nearer; then one comes at exactly 40."""
    form = rems_form_open(actor=acting(rems_nurse), session=recorded)
    assert form.values["bp_after_40_minutes"] == "142/88"
    reading(recorded, 50, systolic_mmhg=139, diastolic_mmhg=85)  # exactly 40 minutes after
    form = rems_form_refill(actor=acting(rems_nurse), form=form)
    assert form.values["bp_after_40_minutes"] == "139/85"


@pytest.mark.django_db
def test_rems_prefill_leaves_empty_what_a_thin_record_cannot_answer(center, rems_nurse):
    """No dose, no devices, no discharge, no reconciled medicines: none of it is guessed."""
    session = esketamine_session(center=center, nurse=rems_nurse)
    reading(session, 5, systolic_mmhg=180, diastolic_mmhg=100, spo2_percent=98)
    form = rems_form_open(actor=acting(rems_nurse), session=session)
    for key in (
        "dose_administered",
        "lot_number",
        "total_minutes",
        "bp_before_administration",
        "bp_after_40_minutes",
        "vitals_acceptable_before",
        "sedation",
        "dissociation",
        "respiratory_depression",
        "takes_benzodiazepines",
        "enrolled_before_first_treatment",
    ):
        assert form.values[key] is None, key


@pytest.mark.django_db
def test_rems_prefill_marks_alerts_and_later_sessions(recorded, rems_nurse, center):
    for late in VitalSign.objects.filter(
        session=recorded, measured_at__gt=recorded.starts_at + dt.timedelta(minutes=80)
    ):
        late.alerts = [
            ReadingAlert.raised(alert).as_json() for alert in check_reading({"spo2_percent": 89}, baseline={})
        ]
        late.save()
    later = esketamine_session(
        center=center, nurse=rems_nurse, plan=recorded.plan, starts_at=recorded.starts_at + dt.timedelta(days=1)
    )
    form = rems_form_open(actor=acting(rems_nurse), session=recorded)
    assert form.values["respiratory_depression"] == "yes"
    assert form.values["vitals_acceptable_at_completion"] is None  # the clinician answers it
    assert rems_form_open(actor=acting(rems_nurse), session=later).values["first_treatment"] == "no"


@pytest.mark.django_db
def test_rems_form_open_refuses_other_routes(center, rems_nurse):
    session = TreatmentSessionFactory(plan=StandInPlanFactory(patient=PatientFactory(center=center)), nurse=rems_nurse)
    with pytest.raises(RuleViolation) as raised:
        rems_form_open(actor=acting(rems_nurse), session=session)
    assert raised.value.code == "rems_not_esketamine"
    assert not RemsMonitoringForm.objects.exists()


@pytest.mark.django_db
def test_rems_form_open_twice_returns_the_same_draft(recorded, rems_nurse):
    assert rems_form_open(actor=acting(rems_nurse), session=recorded) == rems_form_open(
        actor=acting(rems_nurse), session=recorded
    )
    assert RemsMonitoringForm.objects.count() == 1


@pytest.mark.django_db
def test_rems_save_validates_and_unmarks_corrected_prefills(recorded, rems_nurse):
    form = rems_form_open(actor=acting(rems_nurse), session=recorded)
    with pytest.raises(RuleViolation) as raised:
        rems_form_save(
            actor=acting(rems_nurse), form=form, values={"bp_before_completion": "80/126", "total_minutes": "x"}
        )
    assert set(raised.value.errors) == {"bp_before_completion", "total_minutes"}  # type: ignore[attr-defined]
    form.refresh_from_db()
    assert form.values["bp_before_completion"] == "126/80"
    form = rems_form_save(
        actor=acting(rems_nurse), form=form, values={"bp_before_completion": "124/78", "lot_number": "ESK24A17"}
    )
    assert form.values["bp_before_completion"] == "124/78"
    assert "bp_before_completion" not in form.prefilled and "lot_number" in form.prefilled
    # Filling again from the record keeps the nurse's own entry.
    form = rems_form_refill(actor=acting(rems_nurse), form=form)
    assert form.values["bp_before_completion"] == "124/78"


@pytest.mark.django_db
def test_rems_sign_refused_while_a_required_field_is_empty_and_nothing_changes(recorded, rems_nurse):
    form = rems_form_open(actor=acting(rems_nurse), session=recorded)
    with pytest.raises(RuleViolation) as raised:
        rems_form_sign(actor=acting(rems_nurse), form=form, password=PASSWORD)
    assert raised.value.code == "rems_required_missing"
    assert "Minutes from the start of administration" in raised.value.message
    assert "Did the patient experience any other adverse event?" in raised.value.message
    form.refresh_from_db()
    assert (form.status, form.signed_by, form.signed_at, form.content_sha256, form.pdf_sha256) == (
        RemsMonitoringForm.Status.DRAFT,
        None,
        None,
        "",
        "",
    )
    assert not form.pdf
    assert not AuditEntry.objects.filter(action="rems_form.signed").exists()


@pytest.mark.django_db
def test_rems_sign_with_a_wrong_password_signs_nothing(recorded, rems_nurse):
    form = complete(rems_form_open(actor=acting(rems_nurse), session=recorded), rems_nurse)
    with pytest.raises(Forbidden):
        rems_form_sign(actor=acting(rems_nurse), form=form, password="not my password")
    form.refresh_from_db()
    assert form.status == RemsMonitoringForm.Status.DRAFT and not form.pdf


@pytest.mark.django_db
def test_rems_sign_locks_the_form_and_stores_a_real_pdf(recorded, rems_nurse, tmp_path):
    form = complete(rems_form_open(actor=acting(rems_nurse), session=recorded), rems_nurse)
    form = rems_form_sign(actor=acting(rems_nurse), form=form, password=PASSWORD)
    form.refresh_from_db()
    assert form.status == RemsMonitoringForm.Status.SIGNED
    assert form.signed_by == rems_nurse and form.signed_at is not None and len(form.content_sha256) == 64
    content = form.pdf.open("rb").read()
    assert content.startswith(b"%PDF")
    import hashlib

    assert hashlib.sha256(content).hexdigest() == form.pdf_sha256
    path = tmp_path / "rems.pdf"
    path.write_bytes(content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Marisol" in text and "Quintero" in text
    assert "84 mg" in text and "ESK24A17" in text
    assert "Dana Okafor" in text
    assert AuditEntry.objects.filter(action="rems_form.signed", object_id=str(form.external_id)).exists()


@pytest.mark.django_db
def test_rems_values_cannot_change_after_signing(recorded, rems_nurse):
    form = rems_form_sign(
        actor=acting(rems_nurse),
        form=complete(rems_form_open(actor=acting(rems_nurse), session=recorded), rems_nurse),
        password=PASSWORD,
    )
    with pytest.raises(Conflict):
        rems_form_save(actor=acting(rems_nurse), form=form, values={"lot_number": "OTHER"})
    with pytest.raises(Conflict):
        rems_form_refill(actor=acting(rems_nurse), form=form)
    form.values = form.values | {"lot_number": "OTHER"}
    with pytest.raises(SignedRecordLocked):
        form.save()
    form.refresh_from_db()
    assert form.values["lot_number"] == "ESK24A17"
    # Nor may anything else about the signature move: not the status back to draft, not the signer.
    for change in ({"status": RemsMonitoringForm.Status.DRAFT}, {"signed_by": None}, {"content_sha256": "0" * 64}):
        form.refresh_from_db()
        for name, value in change.items():
            setattr(form, name, value)
        with pytest.raises(SignedRecordLocked):
            form.save()
    form.refresh_from_db()
    assert (form.status, form.signed_by) == (RemsMonitoringForm.Status.SIGNED, rems_nurse)


@pytest.mark.django_db
def test_rems_submission_is_recorded_and_the_form_leaves_the_queue(recorded, rems_nurse, center):
    form = rems_form_open(actor=acting(rems_nurse), session=recorded)
    front_desk = StaffFactory(center=center, role=Role.FRONT_DESK)
    with pytest.raises(Conflict):
        rems_form_submit(actor=acting(front_desk), form=form, method="online")
    assert [line.session for line in rems_queue(actor=acting(front_desk), center_id=center.pk)] == [recorded]
    form = rems_form_sign(actor=acting(rems_nurse), form=complete(form, rems_nurse), password=PASSWORD)
    first = rems_form_submit(actor=acting(front_desk), form=form, method="fax", confirmation="Fax receipt 0193")
    form.refresh_from_db()
    assert form.status == RemsMonitoringForm.Status.SUBMITTED
    assert (first.method, first.confirmation, first.submitted_by) == ("fax", "Fax receipt 0193", front_desk)
    assert rems_queue(actor=acting(front_desk), center_id=center.pk) == []
    # A resubmission is another row; the first stays.
    rems_form_submit(actor=acting(front_desk), form=form, method="online", confirmation="RX-2231")
    assert list(RemsSubmission.objects.filter(form=form).values_list("method", flat=True)) == ["fax", "online"]
    assert AuditEntry.objects.filter(action="rems_form.submitted").count() == 2
    with pytest.raises(RuleViolation):
        rems_form_submit(
            actor=acting(front_desk), form=form, method="online", submitted_at=timezone.now() + dt.timedelta(hours=1)
        )


@pytest.mark.django_db
def test_rems_signing_and_submitting_follow_the_role_table(recorded, center):
    therapist = StaffFactory(center=center, role=Role.THERAPIST)
    front_desk = StaffFactory(center=center, role=Role.FRONT_DESK)
    with pytest.raises(Forbidden):
        rems_form_open(actor=acting(front_desk), session=recorded)
    with pytest.raises(Forbidden):
        rems_form_open(actor=acting(therapist), session=recorded)
    form = rems_form_open(actor=acting(StaffFactory(center=center, role=Role.PRESCRIBER)), session=recorded)
    with pytest.raises(Forbidden):
        rems_form_save(actor=acting(front_desk), form=form, values={"ready_to_leave_minute": "90"})
    with pytest.raises(Forbidden):
        rems_form_submit(actor=acting(therapist), form=form, method="fax")


@pytest.mark.django_db
def test_rems_queue_counts_days_left_oldest_first_and_stays_in_its_center(center, other_center, rems_nurse):
    today = timezone.localdate()
    noon = dt.time(12, tzinfo=dt.timezone(dt.timedelta(hours=-8)))

    def on(days_ago: int, **fields) -> TreatmentSession:  # type: ignore[no-untyped-def]
        starts_at = dt.datetime.combine(today - dt.timedelta(days=days_ago), noon)
        nurse = fields.pop("nurse", rems_nurse)
        return esketamine_session(center=fields.pop("center", center), nurse=nurse, starts_at=starts_at, **fields)

    overdue = on(9)  # due two days ago
    draft = on(3)
    rems_form_open(actor=acting(rems_nurse), session=draft)
    today_session = esketamine_session(
        center=center, nurse=rems_nurse, starts_at=timezone.now() - dt.timedelta(minutes=1)
    )
    local_day = timezone.localtime(today_session.starts_at, zoneinfo.ZoneInfo(center.time_zone)).date()
    on(5, status=TreatmentSession.Status.CANCELLED)
    on(4, status=TreatmentSession.Status.NO_SHOW)
    TreatmentSessionFactory(
        plan=StandInPlanFactory(patient=PatientFactory(center=center)), starts_at=timezone.now() - dt.timedelta(days=1)
    )  # IV: no REMS form
    esketamine_session(center=center, nurse=rems_nurse, starts_at=timezone.now() + dt.timedelta(days=1))  # not yet
    on(2, center=other_center, nurse=StaffFactory(center=other_center))
    lines = rems_queue(actor=acting(rems_nurse), center_id=center.pk, today=today)
    assert [(line.session, line.days_left) for line in lines] == [
        (overdue, -2),
        (draft, 4),
        (today_session, (local_day - today).days + 7),
    ]
    assert [line.state for line in lines] == ["Not started", "Draft", "Not started"]
    assert lines[0].due_on == today - dt.timedelta(days=2)


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 20])
def test_rems_queue_page_query_count_is_flat(django_assert_num_queries, center, rems_nurse, size):
    for n in range(size):
        session = esketamine_session(
            center=center, nurse=rems_nurse, starts_at=timezone.now() - dt.timedelta(days=n % 9)
        )
        if n % 2:
            rems_form_open(actor=acting(rems_nurse), session=session)
    client = signed_in(rems_nurse)
    client.get(reverse("sessions:rems_queue"))  # the first request of a session saves when it was last seen
    # The sign-in session, the user, the roles (cached for the request: the view's check, the selector's scope
    # and the menu), the queue with its patients, forms and nurses in one join, one access entry per page.
    with django_assert_num_queries(QUEUE_QUERIES):
        response = client.get(reverse("sessions:rems_queue"))
    assert response.status_code == 200
    assert response.content.decode().count('class="badge rems-badge-') == size


QUEUE_QUERIES = 5


def form_url(session: TreatmentSession, name: str = "sessions:rems_form") -> str:
    return reverse(name, kwargs={"session_id": session.external_id})


@pytest.mark.django_db
def test_rems_form_page_marks_prefilled_and_required_fields_and_signs(recorded, rems_nurse):
    client = signed_in(rems_nurse)
    page = client.get(form_url(recorded)).content.decode()
    assert page.count("rems-tag-record") > 28 and "5 required fields still empty" in page
    assert 'value="ESK24A17"' in page
    assert not RemsMonitoringForm.objects.exists()  # looking opens nothing
    # Fields left out of a post keep what the record gave them.
    response = client.post(form_url(recorded), {"action": "save", "ready_to_leave_minute": "95"})
    assert response.status_code == 302
    form = RemsMonitoringForm.objects.get(session=recorded)
    assert form.status == RemsMonitoringForm.Status.DRAFT
    assert form.values["lot_number"] == "ESK24A17" and form.values["ready_to_leave_minute"] == 95
    response = client.post(form_url(recorded), {"action": "sign", "password": PASSWORD, **form_post(form)})
    assert response.status_code == 422
    assert "cannot be signed while required fields are empty" in response.content.decode()
    post = form_post(form) | NURSE_ANSWERS
    response = client.post(form_url(recorded), {"action": "sign", "password": "wrong", **post})
    assert response.status_code == 422, response.status_code
    assert "The password did not match" in response.content.decode()
    response = client.post(form_url(recorded), {"action": "sign", "password": PASSWORD, **post})
    assert response.status_code == 302
    form.refresh_from_db()
    assert form.status == RemsMonitoringForm.Status.SIGNED
    pdf = client.get(form_url(recorded, "sessions:rems_form_pdf"))
    assert pdf["Content-Type"] == "application/pdf" and b"".join(pdf.streaming_content).startswith(b"%PDF")
    response = client.post(form_url(recorded, "sessions:rems_form_submit"), {"method": "online", "confirmation": "C-1"})
    assert response.status_code == 302
    form.refresh_from_db()
    assert form.status == RemsMonitoringForm.Status.SUBMITTED


def form_post(form: RemsMonitoringForm) -> dict[str, str]:
    form.refresh_from_db()
    return {key: "" if value is None else str(value) for key, value in form.values.items()}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "view", "edit"),
    [
        (Role.NURSE, 200, 302),
        (Role.PRESCRIBER, 200, 302),
        (Role.FRONT_DESK, 200, 403),
        (Role.THERAPIST, 200, 403),
        (Role.CENTER_ADMIN, 200, 403),
        (Role.RESEARCHER, 403, 403),
    ],
)
def test_rems_form_page_access_by_role(recorded, center, role, view, edit):
    client = signed_in(StaffFactory(center=center, role=role))
    assert client.get(form_url(recorded)).status_code == view
    assert client.get(reverse("sessions:rems_queue")).status_code == view
    assert client.post(form_url(recorded), {"action": "save", "ready_to_leave_minute": "90"}).status_code == edit
    assert RemsMonitoringForm.objects.filter(session=recorded).exists() == (edit == 302)


@pytest.mark.django_db
def test_rems_form_page_of_an_iv_session_says_it_does_not_apply(center, rems_nurse):
    session = TreatmentSessionFactory(plan=StandInPlanFactory(patient=PatientFactory(center=center)), nurse=rems_nurse)
    response = signed_in(rems_nurse).get(form_url(session))
    assert response.status_code == 422
    assert "esketamine sessions only" in response.content.decode()
