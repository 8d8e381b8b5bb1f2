"""Discharge from the protocol's criteria, and a note that is signed once and then only amended."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ketaclinic.audit.models import AuditEntry
from ketaclinic.core.errors import Conflict, Forbidden, RuleViolation
from ketaclinic.core.permissions import Role
from ketaclinic.sessions.models import SessionNote, SessionNoteAmendment, SignedRecordLocked, TreatmentSession
from ketaclinic.sessions.services.discharge import discharge_assess
from ketaclinic.sessions.services.dose import dose_step
from ketaclinic.sessions.services.flowsheet import vital_sign_record
from ketaclinic.sessions.services.notes import (
    session_note_amend,
    session_note_draft,
    session_note_edit,
    session_note_sign,
)
from tests.factories import PASSWORD, StaffFactory
from tests.sessions.steps import prepared, running
from tests.steps import acting, signed_in

NURSE_SAYS_YES = {
    "alert_and_oriented": True,
    "walks_steadily": True,
    "side_effects_settled": True,
    "escort_present": True,
    "instructions_given": True,
}
CALM = {"systolic_mmhg": 128, "diastolic_mmhg": 80, "heart_rate_bpm": 74, "spo2_percent": 98}


def completed_dose(center, session, nurse2):  # type: ignore[no-untyped-def]
    """An infusion that started 40 minutes ago and has just run its course."""
    dose = running(center, session, nurse2, minutes_ago=40)
    return dose_step(actor=acting(session.nurse), dose=dose, step="complete")


@pytest.mark.django_db
def test_discharge_waits_for_the_observation_time_and_names_what_is_open(center, session, second_nurse):
    completed_dose(center, session, second_nurse)
    vital_sign_record(actor=acting(session.nurse), session=session, values=CALM)
    early = discharge_assess(
        actor=acting(session.nurse), session=session, confirmed=NURSE_SAYS_YES, escort_name="Sam Lee"
    )
    assert not early.discharged
    assert not early.criteria["observation_time_passed"]["ok"]
    assert "min to go" in early.criteria["observation_time_passed"]["how"]
    assert TreatmentSession.objects.get(pk=session.pk).status == "scheduled"
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=41)):
        vital_sign_record(actor=acting(session.nurse), session=session, values=CALM)
        later = discharge_assess(
            actor=acting(session.nurse), session=session, confirmed=NURSE_SAYS_YES, escort_name="Sam Lee"
        )
    assert later.discharged, later.criteria
    assert later.criteria["escort_present"]["how"] == "escort: Sam Lee"
    assert TreatmentSession.objects.get(pk=session.pk).status == "completed"
    assert AuditEntry.objects.filter(action="treatment_session.completed", patient=session.patient).exists()
    with pytest.raises(Conflict):
        discharge_assess(actor=acting(session.nurse), session=session, confirmed=NURSE_SAYS_YES, escort_name="Sam Lee")


@pytest.mark.django_db
def test_an_unconfirmed_criterion_keeps_the_patient_in_the_chair(center, session, second_nurse):
    completed_dose(center, session, second_nurse)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=45)):
        vital_sign_record(actor=acting(session.nurse), session=session, values=CALM)
        check = discharge_assess(
            actor=acting(session.nurse),
            session=session,
            confirmed=NURSE_SAYS_YES | {"walks_steadily": False},
            escort_name="Sam Lee",
        )
    assert not check.discharged
    assert [k for k, v in check.criteria.items() if not v["ok"]] == ["walks_steadily"]


@pytest.mark.django_db
def test_discharge_needs_an_ended_dose_and_a_named_escort(center, session, second_nurse):
    with pytest.raises(RuleViolation) as raised:
        discharge_assess(actor=acting(session.nurse), session=session, confirmed=NURSE_SAYS_YES, escort_name="Sam")
    assert raised.value.code == "dose_not_ended"
    completed_dose(center, session, second_nurse)
    with pytest.raises(RuleViolation) as raised:
        discharge_assess(actor=acting(session.nurse), session=session, confirmed=NURSE_SAYS_YES, escort_name=" ")
    assert raised.value.code == "escort_name"


@pytest.mark.django_db
def test_the_note_is_drafted_from_the_record(center, session, second_nurse):
    completed_dose(center, session, second_nurse)
    vital_sign_record(actor=acting(session.nurse), session=session, values=CALM | {"systolic_mmhg": 186})
    note = session_note_draft(actor=acting(session.nurse), session=session)
    assert "ketamine 40.0 mg iv, lot KET-2291" in note.text
    assert "0.5 mg/kg x 80 kg = 40 mg" in note.text
    assert f"verified by {second_nurse.get_full_name()}" in note.text
    assert "Dose started" in note.text and "Dose completed" in note.text
    assert "Systolic BP: 186 mmHg is above 180 mmHg" in note.text
    assert "Discharge: not yet assessed." in note.text


@pytest.mark.django_db
def test_a_signed_note_cannot_change_except_by_amendment(center, session, second_nurse):
    note = session_note_draft(actor=acting(session.nurse), session=session)
    note = session_note_edit(
        actor=acting(session.nurse), note=note, text="Uneventful infusion. Patient tolerated well."
    )
    with pytest.raises(Forbidden):
        session_note_sign(actor=acting(session.nurse), note=note, password="not it")
    note = session_note_sign(actor=acting(session.nurse), note=note, password=PASSWORD)
    assert note.status == "signed" and len(note.content_sha256) == 64
    signed_text = note.text

    with pytest.raises(Conflict):
        session_note_edit(actor=acting(session.nurse), note=note, text="Changed after signing")
    with pytest.raises(Conflict):
        session_note_sign(actor=acting(session.nurse), note=note, password=PASSWORD)
    # Around the services too: the model refuses to save a signed note.
    note.text = "Changed behind the service's back"
    with pytest.raises(SignedRecordLocked), transaction.atomic():
        note.save()
    assert SessionNote.objects.get(pk=note.pk).text == signed_text
    with pytest.raises(Conflict):
        session_note_draft(actor=acting(session.nurse), session=session)  # a re-draft is an edit: refused
    assert SessionNote.objects.get(pk=note.pk).text == signed_text

    amendment = session_note_amend(
        actor=acting(session.nurse),
        note=note,
        text="Mild nausea at 10:40 resolved without treatment.",
        reason="Omitted from the signed note.",
        password=PASSWORD,
    )
    assert SessionNote.objects.get(pk=note.pk).text == signed_text
    assert len(amendment.content_sha256) == 64
    amendment.text = "Rewritten"
    with pytest.raises(SignedRecordLocked), transaction.atomic():
        amendment.save()
    assert SessionNoteAmendment.objects.get(pk=amendment.pk).text.startswith("Mild nausea")
    assert AuditEntry.objects.filter(action="session_note.amended", patient=session.patient).exists()


@pytest.mark.django_db
def test_amendments_need_a_reason_and_a_signed_note(session):
    note = session_note_draft(actor=acting(session.nurse), session=session)
    with pytest.raises(Conflict):
        session_note_amend(actor=acting(session.nurse), note=note, text="x", reason="y", password=PASSWORD)
    note = session_note_sign(actor=acting(session.nurse), note=note, password=PASSWORD)
    with pytest.raises(RuleViolation):
        session_note_amend(actor=acting(session.nurse), note=note, text="Addition", reason=" ", password=PASSWORD)


@pytest.mark.django_db
def test_a_therapist_may_read_but_not_sign_the_note(center, session):
    note = session_note_draft(actor=acting(session.nurse), session=session)
    therapist = StaffFactory(center=center, role=Role.THERAPIST, with_password=True)
    with pytest.raises(Forbidden):
        session_note_sign(actor=acting(therapist), note=note, password=PASSWORD)
    page = signed_in(therapist).get(reverse("sessions:flowsheet", kwargs={"session_id": session.external_id}))
    assert page.status_code == 200 and "Sign and lock the note" not in page.content.decode()


@pytest.mark.django_db
def test_the_note_is_written_signed_and_amended_over_http(session):
    client = signed_in(session.nurse)
    kwargs = {"session_id": session.external_id}
    client.post(reverse("sessions:note", kwargs=kwargs), {"redraft": "1"})
    client.post(reverse("sessions:note", kwargs=kwargs), {"text": "Calm session; no events."})
    assert SessionNote.objects.get().text == "Calm session; no events."
    client.post(reverse("sessions:note_sign", kwargs=kwargs), {"password": "wrong", "text": "Calm session; no events."})
    assert SessionNote.objects.get().status == "draft"
    client.post(
        reverse("sessions:note_sign", kwargs=kwargs), {"password": PASSWORD, "text": "Calm session; no events."}
    )
    assert SessionNote.objects.get().status == "signed"
    response = client.post(reverse("sessions:note", kwargs=kwargs), {"text": "Rewritten"}, follow=True)
    assert "add an amendment" in response.content.decode()
    assert SessionNote.objects.get().text == "Calm session; no events."
    client.post(
        reverse("sessions:note_amend", kwargs=kwargs),
        {"text": "Escort was her sister.", "reason": "Clarify escort", "password": PASSWORD},
    )
    page = client.get(reverse("sessions:flowsheet", kwargs=kwargs)).content.decode()
    assert "Escort was her sister." in page and "Clarify escort" in page


@pytest.mark.django_db
def test_what_is_signed_is_the_text_the_signer_had_on_screen(center, session):
    note = session_note_draft(actor=acting(session.nurse), session=session)
    on_screen = "Uneventful session. Escort: sister."
    # Meanwhile a colleague re-drafts the stored copy from the record.
    session_note_draft(actor=acting(StaffFactory(center=center, role=Role.NURSE)), session=session)
    note = session_note_sign(actor=acting(session.nurse), note=note, password=PASSWORD, text=on_screen)
    assert (note.status, note.text) == ("signed", on_screen)
    actions = list(AuditEntry.objects.filter(patient=session.patient).order_by("pk").values_list("action", flat=True))
    assert actions[-2:] == ["session_note.edited", "session_note.signed"]


@pytest.mark.django_db
def test_a_withdrawn_dose_stays_in_the_note(center, session, second_nurse):
    from ketaclinic.sessions.services.dose import dose_withdraw

    dose_withdraw(
        actor=acting(session.nurse),
        dose=prepared(session),
        reason="Wrong weight typed",
        witness=second_nurse,
        witness_password=PASSWORD,
    )
    note = session_note_draft(actor=acting(session.nurse), session=session)
    assert "Withdrawn before it started (Wrong weight typed)" in note.text
    assert f"50.0 mg wasted, witnessed by {second_nurse.get_full_name()}" in note.text


@pytest.mark.django_db
def test_a_refused_signature_keeps_the_edited_text(session):
    client = signed_in(session.nurse)
    kwargs = {"session_id": session.external_id}
    client.post(reverse("sessions:note", kwargs=kwargs), {"redraft": "1"})
    client.post(reverse("sessions:note_sign", kwargs=kwargs), {"password": "wrong", "text": "Edited on the tablet."})
    note = SessionNote.objects.get()
    assert (note.status, note.text) == ("draft", "Edited on the tablet.")
