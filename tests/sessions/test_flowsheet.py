from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from ketaclinic.audit.models import AuditEntry
from ketaclinic.core.errors import Forbidden, RuleViolation
from ketaclinic.core.permissions import Perm, Role
from ketaclinic.sessions.models import MonitorDevice, VitalSign
from ketaclinic.sessions.selectors.board import chair_board
from ketaclinic.sessions.selectors.flowsheet import flowsheet_get
from ketaclinic.sessions.services.flowsheet import vital_sign_record
from ketaclinic.sessions.services.ingestion import vital_signs_ingest
from tests.factories import AllergyFactory, PatientAlertFactory, StaffFactory
from tests.sessions.steps import running
from tests.steps import acting, signed_in


@pytest.mark.django_db
def test_hand_entry_raises_an_alert_that_names_the_limit_and_the_response(session):
    nurse = session.nurse
    sign = vital_sign_record(actor=acting(nurse), session=session, values={"systolic_mmhg": 130, "spo2_percent": 89})
    assert sign.source == "hand" and sign.recorded_by == nurse
    assert any("89 % is below 92 %" in alert and "oxygen" in alert for alert in sign.alert_messages)
    assert AuditEntry.objects.filter(action="vital_sign.recorded", patient=session.patient).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("values", "code"), [({}, "empty_reading"), ({"heart_rate_bpm": 900}, "bad_reading")])
def test_bad_hand_entries_are_refused_and_nothing_is_kept(session, values, code):
    with pytest.raises(RuleViolation) as raised:
        vital_sign_record(actor=acting(session.nurse), session=session, values=values)
    assert raised.value.code == code
    assert not VitalSign.objects.exists()


@pytest.mark.django_db
def test_front_desk_cannot_record_vitals(center, session):
    with pytest.raises(Forbidden):
        vital_sign_record(
            actor=acting(StaffFactory(center=center, role=Role.FRONT_DESK)),
            session=session,
            values={"heart_rate_bpm": 70},
        )


@pytest.mark.django_db
def test_a_due_reading_not_taken_is_flagged_late(session):
    vital_sign_record(actor=acting(session.nurse), session=session, values={"heart_rate_bpm": 70})
    assert not flowsheet_get(
        actor=acting(session.nurse), perm=Perm.SESSION_VIEW, session_id=session.external_id
    ).is_late
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=13)):
        sheet = flowsheet_get(actor=acting(session.nurse), perm=Perm.SESSION_VIEW, session_id=session.external_id)
    assert sheet.is_late  # every 10 minutes under the IV protocol, plus 2 minutes' grace


@pytest.mark.django_db
def test_monitor_and_hand_readings_show_together_labelled_by_source(center, session):
    device = MonitorDevice.objects.create(center=center, label="Chair monitor", token_hash="x" * 64)
    vital_signs_ingest(
        device=device,
        session=session,
        readings=[
            {"idempotency_key": "m1", "measured_at": timezone.now() - dt.timedelta(minutes=5), "heart_rate_bpm": 75}
        ],
    )
    vital_sign_record(actor=acting(session.nurse), session=session, values={"heart_rate_bpm": 78})
    page = signed_in(session.nurse).get(reverse("sessions:flowsheet", kwargs={"session_id": session.external_id}))
    body = page.content.decode()
    assert "Monitor: Chair monitor" in body and f"By hand: {session.nurse}" in body


@pytest.mark.django_db
def test_the_flowsheet_refreshes_as_a_fragment_for_htmx(session):
    page = signed_in(session.nurse).get(
        reverse("sessions:flowsheet", kwargs={"session_id": session.external_id}), HTTP_HX_REQUEST="true"
    )
    body = page.content.decode()
    assert body.lstrip().startswith('<section id="readings"') and "<html" not in body


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 30])
def test_flowsheet_query_count_is_flat(django_assert_num_queries, session, count):
    for n in range(count):
        vital_sign_record(
            actor=acting(session.nurse),
            session=session,
            values={"heart_rate_bpm": 70 + n % 5},
            measured_at=timezone.now() - dt.timedelta(minutes=count - n),
        )
    client = signed_in(session.nurse)
    url = reverse("sessions:flowsheet", kwargs={"session_id": session.external_id})
    client.get(url)
    # session, user, roles, the session with patient/plan/chair/nurse/note, readings, dose, events,
    # discharge, latest checklist, day-before confirmation, the center's usable lots (one query for
    # the dose form's lot list, whatever the number of readings), the center's prescribers
    # (intervention form), the banner's allergies and open alerts, access entry
    with django_assert_num_queries(15):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_the_chair_board_shows_who_is_in_which_chair_and_what_is_due(center, session):
    vital_sign_record(actor=acting(session.nurse), session=session, values={"systolic_mmhg": 190})
    (line,) = chair_board(actor=acting(session.nurse), center_id=center.pk)
    assert line.session == session and line.alert_count == 1
    assert (line.stage, line.minutes_since_dose) == ("before the dose", None)
    assert line.next_due_at == line.session.vital_signs.get().measured_at + dt.timedelta(minutes=5)  # after an alert
    page = signed_in(session.nurse).get(reverse("sessions:board")).content.decode()
    assert session.patient.display_name in page and "with alerts" in page and "dose not started" in page


@pytest.mark.django_db
def test_the_board_counts_minutes_from_the_dose_and_names_the_stage(center, session):
    second = StaffFactory(center=center, role=Role.NURSE, with_password=True)
    running(center, session, second, minutes_ago=12)
    (line,) = chair_board(actor=acting(session.nurse), center_id=center.pk)
    assert (line.stage, line.minutes_since_dose) == ("running", 12)


@pytest.mark.django_db
def test_the_checklist_runs_from_the_flowsheet_and_a_prescriber_overrides_there(center, session):
    from ketaclinic.sessions.models import PreSessionCheck

    nurse = StaffFactory(center=center, role=Role.NURSE)
    url = reverse("sessions:checklist", kwargs={"session_id": session.external_id})
    signed_in(nurse).post(
        url,
        {"identity": "on", "fasting": "on", "escort": "on", "pregnancy": "on", "no_new_medicines_or_symptoms": "on"},
    )
    check = PreSessionCheck.objects.get()
    assert not check.passed and "consent" in check.open_items
    page = signed_in(session.nurse).get(reverse("sessions:flowsheet", kwargs={"session_id": session.external_id}))
    assert "no current consent on file" in page.content.decode()
    override = reverse("sessions:checklist_override", kwargs={"session_id": session.external_id})
    signed_in(session.nurse).post(override, {"item": "consent", "reason": "Signed on paper; scanning pending."})
    check.refresh_from_db()
    assert check.overrides == {}  # consent can never be overridden
    signed_in(session.nurse).post(override, {"item": "questionnaire", "reason": "Patient too anxious; asked verbally."})
    check.refresh_from_db()
    assert set(check.overrides) == {"questionnaire"}


@pytest.mark.django_db
def test_a_first_entry_without_blood_pressure_does_not_disable_the_rise_alert(session):
    vital_sign_record(actor=acting(session.nurse), session=session, values={"nausea": 1, "side_effects": "queasy"})
    vital_sign_record(actor=acting(session.nurse), session=session, values={"systolic_mmhg": 120, "diastolic_mmhg": 76})
    sign = vital_sign_record(actor=acting(session.nurse), session=session, values={"systolic_mmhg": 175})
    assert any("175 mmHg is more than 40 above the baseline 120" in alert for alert in sign.alert_messages)


@pytest.mark.django_db
def test_a_reading_charted_late_keeps_the_time_it_was_taken(center, session):
    with time_machine.travel(session.starts_at + dt.timedelta(minutes=30)):  # at any time of day
        charted_late(center, session)


def charted_late(center, session):  # type: ignore[no-untyped-def]
    taken = timezone.now().astimezone(center.zone) - dt.timedelta(minutes=7)
    url = reverse("sessions:flowsheet", kwargs={"session_id": session.external_id})
    signed_in(session.nurse).post(url, {"heart_rate_bpm": "72", "taken_at": f"{taken:%H:%M}"})
    reading = VitalSign.objects.get()
    assert reading.measured_at.astimezone(center.zone).strftime("%H:%M") == f"{taken:%H:%M}"
    # A clock time later than now means yesterday's: long before this session, so refused. Ninety
    # minutes ahead, because in the hour repeated when the clocks go back a time half an hour
    # ahead also happened an hour ago, and that earlier moment is the one the nurse meant.
    later = timezone.now().astimezone(center.zone) + dt.timedelta(minutes=90)
    response = signed_in(session.nurse).post(url, {"heart_rate_bpm": "72", "taken_at": f"{later:%H:%M}"})
    assert response.status_code == 422 and "not more than 2 hours before it starts" in response.content.decode()
    assert VitalSign.objects.count() == 1


@pytest.mark.django_db
def test_a_reading_long_before_the_session_is_refused(session):
    with pytest.raises(RuleViolation) as raised:
        vital_sign_record(
            actor=acting(session.nurse),
            session=session,
            values={"heart_rate_bpm": 70},
            measured_at=session.starts_at - dt.timedelta(hours=3),
        )
    assert raised.value.code == "reading_before_session"


@pytest.mark.django_db
def test_the_flowsheet_links_to_the_series_and_the_fhir_download(session):
    page = signed_in(session.nurse).get(reverse("sessions:flowsheet", kwargs={"session_id": session.external_id}))
    body = page.content.decode()
    assert reverse("fhir:session", kwargs={"session_id": session.external_id}) in body
    assert reverse("sessions:patient", kwargs={"patient_id": session.patient.external_id}) in body
    assert "REMS monitoring form" not in body  # an IV session has none


@pytest.mark.django_db
def test_the_flowsheet_carries_the_patient_banner(session):
    """Where the dose is given: two identifiers, allergies with the reaction, open alerts and why."""
    patient = session.patient
    AllergyFactory(patient=patient, substance="Ondansetron", reaction="hives")
    PatientAlertFactory(patient=patient, kind="suicide_risk", message="PHQ-9 item 9 answered 2", reason="Item 9")
    page = signed_in(session.nurse).get(reverse("sessions:flowsheet", kwargs={"session_id": session.external_id}))
    banner = page.content.decode().split('aria-label="Patient banner"')[1].split("</section>")[0]
    assert patient.display_name in banner and f"MRN {patient.mrn}" in banner
    assert f"Born {patient.date_of_birth:%m/%d/%Y}" in banner
    assert "Ondansetron (hives)" in banner
    assert "PHQ-9 item 9 answered 2" in banner and "Why: Item 9" in banner
