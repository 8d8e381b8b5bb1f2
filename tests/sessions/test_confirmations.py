"""The day-before reminder: who is asked, the message, the patient's page, and the day list."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ketaclinic.audit.models import AuditEntry
from ketaclinic.core.errors import Conflict, NotFound
from ketaclinic.core.permissions import Role
from ketaclinic.measures.models import OutgoingMessage
from ketaclinic.measures.services.links import MAX_IDENTITY_ATTEMPTS
from ketaclinic.messaging.confirmations import session_confirmation_send, session_confirmations_queue
from ketaclinic.messaging.sending import MemoryTextMessageBackend
from ketaclinic.messaging.tasks import send_measurement_reminders, send_session_confirmations
from ketaclinic.sessions.models import SessionConfirmation, TreatmentSession
from ketaclinic.sessions.services.booking import treatment_session_close
from ketaclinic.sessions.services.confirmations import session_confirmation_answer, session_confirmation_open
from tests.factories import (
    PatientFactory,
    StaffFactory,
    TreatmentCenterFactory,
)
from tests.sessions.steps import link_from, session_at, tomorrow_at
from tests.steps import acting, signed_in

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def token_of(url: str) -> str:
    return url.split("/c/")[1].strip("/")


@pytest.fixture
def tomorrow_session(patient):  # type: ignore[no-untyped-def]
    return session_at(patient, tomorrow_at(9, 30))


@pytest.fixture
def sent_link(tomorrow_session):  # type: ignore[no-untyped-def]
    """The link the patient received by text message for tomorrow's session."""
    assert send_session_confirmations.enqueue().return_value == {"sent": 1, "failed": 0}
    (text,) = MemoryTextMessageBackend.outbox
    return link_from(text.body)


# Who is asked, and only once


@pytest.mark.django_db
def test_queue_asks_only_about_tomorrows_scheduled_sessions_in_each_centers_time_zone(center, patient):
    # 21:30 in Buena Park is already 00:30 the next day in New York.
    now = dt.datetime(2026, 3, 10, 21, 30, tzinfo=LA)
    new_york = TreatmentCenterFactory(organization=center.organization, time_zone="America/New_York")
    east = PatientFactory(center=new_york)
    asked = [
        session_at(patient, dt.datetime(2026, 3, 11, 0, 15, tzinfo=LA)),  # just after local midnight
        session_at(patient, dt.datetime(2026, 3, 11, 23, 45, tzinfo=LA)),
        session_at(east, dt.datetime(2026, 3, 12, 0, 10, tzinfo=NEW_YORK)),  # tomorrow in New York
    ]
    not_asked = [
        session_at(patient, dt.datetime(2026, 3, 10, 23, 50, tzinfo=LA)),  # later today
        session_at(patient, dt.datetime(2026, 3, 12, 0, 5, tzinfo=LA)),  # the day after tomorrow
        session_at(patient, dt.datetime(2026, 3, 11, 10, 0, tzinfo=LA), status=TreatmentSession.Status.CANCELLED),
        session_at(east, dt.datetime(2026, 3, 11, 10, 0, tzinfo=NEW_YORK)),  # today in New York
    ]

    created = session_confirmations_queue(now=now)

    assert {c.session_id for c in created} == {s.pk for s in asked}
    assert not SessionConfirmation.objects.filter(session__in=not_asked).exists()
    for confirmation in created:
        assert confirmation.expires_at == confirmation.session.starts_at
        assert confirmation.message is not None
        assert (confirmation.message.channel, confirmation.message.status) == ("sms", "queued")
    entry = AuditEntry.objects.get(action="session_confirmation.created", object_id=str(created[0].external_id))
    assert (entry.role, entry.patient_id) == ("system", created[0].patient_id)


@pytest.mark.django_db
def test_a_second_run_queues_and_sends_nothing_again(tomorrow_session):
    assert send_session_confirmations.enqueue().return_value == {"sent": 1, "failed": 0}
    assert session_confirmations_queue(now=timezone.now()) == []
    assert send_session_confirmations.enqueue().return_value == {"sent": 0, "failed": 0}
    assert SessionConfirmation.objects.count() == 1
    assert OutgoingMessage.objects.count() == 1
    assert len(MemoryTextMessageBackend.outbox) == 1


@pytest.mark.django_db
def test_email_is_used_when_there_is_no_phone_and_nobody_is_asked_without_either(center):
    by_email = PatientFactory(center=center, phone="", email="ana@example.com")
    unreachable = PatientFactory(center=center, phone="", email="")
    session_at(by_email, tomorrow_at(10))
    silent = session_at(unreachable, tomorrow_at(11))
    assert send_session_confirmations.enqueue().return_value == {"sent": 1, "failed": 0}
    (email,) = mail.outbox
    assert email.to == ["ana@example.com"]
    assert "/c/" in email.body
    assert not SessionConfirmation.objects.filter(session=silent).exists()


@pytest.mark.django_db
def test_questionnaire_reminders_leave_confirmation_messages_to_their_own_sender(tomorrow_session):
    session_confirmations_queue(now=timezone.now())
    assert send_measurement_reminders.enqueue().return_value == {"sent": 0, "failed": 0}
    assert OutgoingMessage.objects.get().status == "queued"


# The message


@pytest.mark.django_db
def test_the_message_says_when_and_where_and_carries_a_working_link(patient, tomorrow_session, sent_link):
    (text,) = MemoryTextMessageBackend.outbox
    center = tomorrow_session.chair.room.center
    assert text.to == patient.phone
    assert center.name in text.body
    assert "9:30 a.m." in text.body
    assert "fasting instructions your clinic gave you" in text.body
    assert patient.family_name not in text.body
    assert "ketamine" not in text.body.lower()
    confirmation = session_confirmation_open(token=token_of(sent_link))
    assert confirmation.session == tomorrow_session
    assert confirmation.message.status == "sent"
    assert Client().get(sent_link).status_code == 200


@pytest.mark.django_db
def test_a_spanish_speaking_patient_gets_the_message_and_page_in_spanish(center):
    patient = PatientFactory(center=center, preferred_language="es")
    session_at(patient, tomorrow_at(9))
    send_session_confirmations.enqueue()
    (text,) = MemoryTextMessageBackend.outbox
    assert "Su cita es mañana" in text.body
    client, url = Client(), link_from(text.body)
    page = client.get(url).content.decode()
    assert "Su fecha de nacimiento" in page
    assert "988" in page
    questions = client.post(url, {"date_of_birth": patient.date_of_birth.isoformat()}).content.decode()
    assert "Seguiré las instrucciones de ayuno que me dio mi clínica." in questions
    assert "Un adulto me llevará a casa" in questions
    done = client.post(url, {"fasting_confirmed": "yes", "ride_confirmed": "yes"}).content.decode()
    assert "Su clínica tiene sus respuestas." in done


@pytest.mark.django_db
def test_only_the_token_in_the_sent_message_opens_the_page(tomorrow_session):
    (confirmation,) = session_confirmations_queue(now=timezone.now())
    placeholder = confirmation.token_hash
    session_confirmation_send(confirmation=confirmation)
    confirmation.refresh_from_db()
    assert confirmation.token_hash != placeholder
    assert len(confirmation.token_hash) == 64


# The patient's page


@pytest.mark.django_db
def test_the_page_asks_for_the_birth_date_first_and_shows_nothing_before(patient, sent_link):
    page = Client().get(sent_link).content.decode()
    assert "confirm your date of birth" in page
    assert patient.family_name not in page
    assert "fasting" not in page
    assert "988" in page


@pytest.mark.django_db
def test_patient_confirms_identity_then_answers_no_to_the_ride_with_a_comment(patient, sent_link):
    client = Client()
    wrong = client.post(sent_link, {"date_of_birth": "1901-01-01"}).content.decode()
    assert "does not match our records" in wrong
    assert SessionConfirmation.objects.get().failed_identity_attempts == 1

    questions = client.post(sent_link, {"date_of_birth": patient.date_of_birth.isoformat()}).content.decode()
    assert "I will follow the fasting instructions my clinic gave me." in questions
    assert "I will not drive that day" in questions
    assert "9:30 a.m." in questions
    assert "988" in questions

    incomplete = client.post(sent_link, {"fasting_confirmed": "yes"})
    assert incomplete.status_code == 422
    assert SessionConfirmation.objects.get().answered_at is None

    done = client.post(sent_link, {"fasting_confirmed": "yes", "ride_confirmed": "no", "comment": "My sister works."})
    assert done.status_code == 200
    assert "may need to change your visit" in done.content.decode()
    confirmation = SessionConfirmation.objects.get()
    assert confirmation.answered_at is not None
    assert (confirmation.fasting_confirmed, confirmation.ride_confirmed) == (True, False)
    assert confirmation.patient_comment == "My sister works."
    entry = AuditEntry.objects.get(action="session_confirmation.answered")
    assert (entry.role, entry.patient_id) == ("patient", patient.pk)
    assert entry.changes["ride_confirmed"] == [None, False]
    assert entry.actor_label == f"patient via confirmation link {confirmation.external_id}"

    again = client.post(sent_link, {"fasting_confirmed": "yes", "ride_confirmed": "yes"})
    assert again.status_code == 404
    assert "You already answered" in again.content.decode()
    confirmation.refresh_from_db()
    assert confirmation.ride_confirmed is False
    assert AuditEntry.objects.filter(action="session_confirmation.answered").count() == 1


@pytest.mark.django_db
def test_patient_confirms_both(patient, sent_link):
    client = Client()
    client.post(sent_link, {"date_of_birth": patient.date_of_birth.isoformat()})
    done = client.post(sent_link, {"fasting_confirmed": "yes", "ride_confirmed": "yes"}).content.decode()
    assert "Your clinic has your answers" in done
    confirmation = SessionConfirmation.objects.get()
    assert (confirmation.fasting_confirmed, confirmation.ride_confirmed, confirmation.patient_comment) == (
        True,
        True,
        "",
    )
    with pytest.raises(Conflict) as raised:
        session_confirmation_answer(confirmation=confirmation, fasting_confirmed=False, ride_confirmed=False)
    assert raised.value.code == "already_answered"
    confirmation.refresh_from_db()
    assert confirmation.fasting_confirmed is True


@pytest.mark.django_db
def test_the_link_locks_after_the_same_number_of_misses_as_questionnaire_links(patient, sent_link):
    client = Client()
    for _ in range(MAX_IDENTITY_ATTEMPTS):
        client.post(sent_link, {"date_of_birth": "1901-01-01"})
    locked = client.post(sent_link, {"date_of_birth": patient.date_of_birth.isoformat()})
    assert locked.status_code == 404
    assert "locked" in locked.content.decode()
    assert SessionConfirmation.objects.get().failed_identity_attempts == MAX_IDENTITY_ATTEMPTS
    assert AuditEntry.objects.filter(action="session_confirmation.identity_failed").count() == MAX_IDENTITY_ATTEMPTS
    assert not AuditEntry.objects.filter(action="session_confirmation.identity_confirmed").exists()


@pytest.mark.django_db
def test_an_expired_link_shows_a_clear_page_and_changes_nothing(patient, tomorrow_session, sent_link):
    client = Client()
    client.post(sent_link, {"date_of_birth": patient.date_of_birth.isoformat()})
    with time_machine.travel(tomorrow_session.starts_at + dt.timedelta(minutes=1)):
        page = client.post(sent_link, {"fasting_confirmed": "yes", "ride_confirmed": "yes"})
        with pytest.raises(NotFound):
            session_confirmation_answer(
                confirmation=SessionConfirmation.objects.get(), fasting_confirmed=True, ride_confirmed=True
            )
    assert page.status_code == 404
    assert "expired" in page.content.decode()
    assert SessionConfirmation.objects.get().answered_at is None
    assert not AuditEntry.objects.filter(action="session_confirmation.answered").exists()


@pytest.mark.django_db
def test_an_unknown_link_shows_a_clear_page(db):
    page = Client().get(reverse("confirmations:confirm", kwargs={"token": "not-a-real-token"}))
    assert page.status_code == 404
    assert "expired or is not valid" in page.content.decode()
    with pytest.raises(NotFound):
        session_confirmation_open(token="not-a-real-token")


@pytest.mark.django_db
def test_a_cancelled_session_closes_its_link(nurse, tomorrow_session, sent_link):
    treatment_session_close(
        actor=acting(nurse), session=tomorrow_session, status="cancelled", reason="Patient called in sick."
    )
    page = Client().get(sent_link)
    assert page.status_code == 404
    assert "no longer scheduled" in page.content.decode()


# The day list


def day_list(center, day: dt.date) -> str:  # type: ignore[no-untyped-def]
    client = signed_in(StaffFactory(center=center, role=Role.NURSE))
    return client.get(reverse("sessions:day") + f"?date={day.isoformat()}").content.decode()


@pytest.mark.django_db
def test_the_day_list_shows_each_step_of_the_confirmation(center, patient, tomorrow_session):
    day = tomorrow_session.starts_at.astimezone(LA).date()
    assert "Day-before reminder: not sent." in day_list(center, day)

    (confirmation,) = session_confirmations_queue(now=timezone.now())
    assert "queued, not sent yet" in day_list(center, day)

    session_confirmation_send(confirmation=confirmation)
    assert "no answer yet" in day_list(center, day)

    session_confirmation_answer(confirmation=confirmation, fasting_confirmed=True, ride_confirmed=True)
    page = day_list(center, day)
    assert "Patient confirmed fasting and a ride home." in page
    assert "answered no" not in page


@pytest.mark.django_db
def test_the_day_list_warns_when_the_patient_said_no_with_their_comment(center, patient, tomorrow_session):
    (confirmation,) = session_confirmations_queue(now=timezone.now())
    session_confirmation_send(confirmation=confirmation)
    session_confirmation_answer(
        confirmation=confirmation, fasting_confirmed=False, ride_confirmed=True, comment="I take insulin at 7."
    )
    page = day_list(center, tomorrow_session.starts_at.astimezone(LA).date())
    assert "confirmation-warning" in page
    assert "will not follow the fasting instructions" in page
    assert "no adult to take them home" not in page
    assert "I take insulin at 7." in page


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 6])
def test_the_day_list_query_count_stays_flat_with_confirmations(django_assert_num_queries, center, count):
    for hour in range(8, 8 + count):
        session_at(PatientFactory(center=center), tomorrow_at(hour))
    for confirmation in session_confirmations_queue(now=timezone.now()):
        session_confirmation_answer(confirmation=confirmation, fasting_confirmed=True, ride_confirmed=False)
    client = signed_in(StaffFactory(center=center, role=Role.NURSE))
    url = reverse("sessions:day") + f"?date={tomorrow_at(8).date().isoformat()}"
    client.get(url)
    with django_assert_num_queries(7):
        page = client.get(url).content.decode()
    assert page.count("no adult to take them home") == count


# Background work


@pytest.mark.django_db(transaction=True)
def test_confirmations_run_through_the_database_task_worker(settings, center):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    patient = PatientFactory(center=center)
    session_at(patient, tomorrow_at(9))
    call_command("enqueue_measure_jobs")
    assert not MemoryTextMessageBackend.outbox
    call_command("db_worker", "--batch", "--no-startup-delay")
    (text,) = MemoryTextMessageBackend.outbox
    assert "/c/" in text.body
    assert OutgoingMessage.objects.get().status == "sent"
    assert SessionConfirmation.objects.get().message.status == "sent"
