"""The day-before reminder: the patient confirms fasting and a ride home through a single-use link.

The day before each scheduled session (in the center's own time zone) one confirmation is made
and one message queued. The link's token exists only in the message that leaves: sending makes a
fresh token and keeps its hash, as questionnaire reminders do. The answer shows on the day list.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from ketaclinic.audit.services import EntryFacts, audit_change_record, audit_event_record, changes_between, snapshot
from ketaclinic.clinics.models import TreatmentCenter
from ketaclinic.core.errors import Conflict, NotFound
from ketaclinic.core.tokens import token_digest
from ketaclinic.measures.models import OutgoingMessage
from ketaclinic.measures.services.links import MAX_IDENTITY_ATTEMPTS
from ketaclinic.measures.services.reminders import outgoing_message_deliver, outgoing_message_mark
from ketaclinic.measures.wording import patient_language
from ketaclinic.patients.models import Patient
from ketaclinic.sessions.models import SessionConfirmation, TreatmentSession
from ketaclinic.sessions.selectors.calendar import day_bounds


def _channel_for(patient: Patient) -> tuple[str, str] | None:
    """The patient record has no preferred channel yet: a text reaches a phone the day before, else email."""
    if patient.phone:
        return OutgoingMessage.Channel.SMS, patient.phone
    if patient.email:
        return OutgoingMessage.Channel.EMAIL, patient.email
    return None


def _patient_facts(confirmation: SessionConfirmation, action: str, changes: dict[str, Any]) -> EntryFacts:
    return EntryFacts(
        kind="change",
        action=action,
        actor=None,
        actor_label=f"patient via confirmation link {confirmation.external_id}",
        role="patient",
        center_id=confirmation.patient.center_id,
        patient_id=confirmation.patient_id,
        object_type=confirmation._meta.label_lower,
        object_id=str(confirmation.external_id),
        changes=changes,
    )


@transaction.atomic
def session_confirmations_queue(*, now: dt.datetime) -> list[SessionConfirmation]:
    """Ask about every scheduled session tomorrow, local to its center; a second run adds nothing."""
    created = []
    for center in TreatmentCenter.objects.order_by("pk"):
        tomorrow = center.local_date(now) + dt.timedelta(days=1)
        start, end = day_bounds(center=center, day=tomorrow)
        sessions = (
            TreatmentSession.objects.in_use()
            .select_for_update(of=("self",))
            .filter(
                chair__room__center=center,
                status=TreatmentSession.Status.SCHEDULED,
                starts_at__gte=max(start, now),
                starts_at__lt=end,
            )
            .select_related("patient")
            .order_by("starts_at")
        )
        for session in sessions:
            # Checked under the session's lock, in a fresh statement: two runs at once ask once.
            if SessionConfirmation.objects.filter(session=session).exists():
                continue
            confirmation = _confirmation_create(session=session, center=center)
            if confirmation is not None:
                created.append(confirmation)
    return created


def _confirmation_create(*, session: TreatmentSession, center: TreatmentCenter) -> SessionConfirmation | None:
    patient = session.patient
    channel = _channel_for(patient)
    if channel is None:
        # Nothing to send to: the day list shows "not sent" and staff phone the patient.
        return None
    with translation.override(patient_language(patient)):
        subject = _("Your visit tomorrow at %(center)s") % {"center": center.name}
    message = OutgoingMessage(patient=patient, channel=channel[0], to=channel[1], subject=subject)
    message.full_clean()
    message.save()
    confirmation = SessionConfirmation(
        patient=patient,
        session=session,
        # A placeholder until the message is sent; sending replaces it with the token it carries.
        token_hash=token_digest(secrets.token_urlsafe(24)),
        message=message,
        expires_at=session.starts_at,
    )
    confirmation.full_clean()
    confirmation.save()
    audit_change_record(
        actor=None,
        instance=confirmation,
        action="session_confirmation.created",
        changes={
            "session": [None, str(session.external_id)],
            "channel": [None, message.channel],
            "expires_at": [None, confirmation.expires_at],
        },
        role="system",
    )
    return confirmation


def session_confirmations_to_send() -> QuerySet[SessionConfirmation]:
    return (
        SessionConfirmation.objects.filter(message__status=OutgoingMessage.Status.QUEUED)
        .select_related("message", "patient", "session", "session__chair__room__center")
        .order_by("created_at")
    )


def session_confirmation_url(token: str) -> str:
    return settings.KETACLINIC_PUBLIC_URL.rstrip("/") + reverse("confirmations:confirm", kwargs={"token": token})


def _message_body(confirmation: SessionConfirmation, url: str) -> str:
    session = confirmation.session
    center = session.chair.room.center
    local = session.starts_at.astimezone(center.zone)
    # Only what a reminder needs: when, where, and the link. No treatment or clinical detail.
    return _(
        "Hello from %(center)s. Your visit is tomorrow, %(date)s, at %(time)s. Please confirm that you will "
        "follow the fasting instructions your clinic gave you and that an adult will take you home: %(url)s "
        "The link works once, until your visit. If you are in crisis, call or text 988."
    ) % {
        "center": center.name,
        "date": formats.date_format(local, "DATE_FORMAT"),
        "time": formats.time_format(local, "TIME_FORMAT"),
        "url": url,
    }


def session_confirmation_send(*, confirmation: SessionConfirmation) -> OutgoingMessage:
    """Give the confirmation a fresh token and send its link; the token lives only in that message."""
    now = timezone.now()
    with transaction.atomic():
        confirmation = (
            SessionConfirmation.objects.select_for_update(of=("self",))
            .select_related("message", "patient", "session", "session__chair__room__center")
            .get(pk=confirmation.pk)
        )
        message = confirmation.message
        assert message is not None
        if message.status != OutgoingMessage.Status.QUEUED:
            return message
        if confirmation.expires_at <= now or confirmation.session.status != TreatmentSession.Status.SCHEDULED:
            outgoing_message_mark(
                message, OutgoingMessage.Status.FAILED, error="The session started or was closed first."
            )
            return message
        token = secrets.token_urlsafe(24)
        confirmation.token_hash = token_digest(token)
        confirmation.save(update_fields=["token_hash"])
    with translation.override(patient_language(confirmation.patient)):
        body = _message_body(confirmation, session_confirmation_url(token))
    return outgoing_message_deliver(message=message, body=body)


def _dead(confirmation: SessionConfirmation | None, now: dt.datetime) -> NotFound | None:
    if confirmation is None or confirmation.expires_at <= now:
        return NotFound(
            _("This link has expired or is not valid. If you have questions about your visit, call your clinic."),
            code="link_dead",
        )
    if confirmation.answered_at is not None:
        return NotFound(_("You already answered. Thank you: your clinic has your answer."), code="already_answered")
    if confirmation.session.status != TreatmentSession.Status.SCHEDULED:
        return NotFound(_("This visit is no longer scheduled. Please call your clinic."), code="session_closed")
    if confirmation.failed_identity_attempts >= MAX_IDENTITY_ATTEMPTS:
        return NotFound(_("This link is locked. Please call your clinic."), code="link_locked")
    return None


def session_confirmation_open(*, token: str) -> SessionConfirmation:
    """The live confirmation for a token; an unknown, expired, answered or locked one raises NotFound."""
    confirmation = (
        SessionConfirmation.objects.select_related("patient", "session", "session__chair__room__center")
        .filter(token_hash=token_digest(token))
        .first()
    )
    dead = _dead(confirmation, timezone.now())
    if dead is not None:
        raise dead
    assert confirmation is not None
    return confirmation


def _locked(confirmation: SessionConfirmation) -> SessionConfirmation:
    locked = (
        SessionConfirmation.objects.select_for_update(of=("self",))
        .select_related("patient", "session")
        .get(pk=confirmation.pk)
    )
    # Checked again under the lock: parallel guesses or answers must not get past it.
    dead = _dead(locked, timezone.now())
    if dead is not None:
        raise dead
    return locked


@transaction.atomic
def session_confirmation_confirm_identity(*, confirmation: SessionConfirmation, date_of_birth: dt.date) -> bool:
    confirmation = _locked(confirmation)
    if confirmation.patient.date_of_birth != date_of_birth:
        confirmation.failed_identity_attempts += 1
        confirmation.save(update_fields=["failed_identity_attempts"])
        audit_event_record(
            _patient_facts(
                confirmation,
                "session_confirmation.identity_failed",
                {"failed_identity_attempts": confirmation.failed_identity_attempts},
            )
        )
        return False
    audit_event_record(_patient_facts(confirmation, "session_confirmation.identity_confirmed", {}))
    return True


@transaction.atomic
def session_confirmation_answer(
    *, confirmation: SessionConfirmation, fasting_confirmed: bool, ride_confirmed: bool, comment: str = ""
) -> SessionConfirmation:
    """Record the patient's one answer; a second one is refused."""
    try:
        confirmation = _locked(confirmation)
    except NotFound as error:
        if error.code == "already_answered":
            raise Conflict(error.message, code="already_answered") from None
        raise
    before = snapshot(confirmation)
    confirmation.answered_at = timezone.now()
    confirmation.fasting_confirmed = fasting_confirmed
    confirmation.ride_confirmed = ride_confirmed
    confirmation.patient_comment = comment.strip()
    confirmation.full_clean()
    confirmation.save(update_fields=["answered_at", "fasting_confirmed", "ride_confirmed", "patient_comment"])
    audit_event_record(
        _patient_facts(confirmation, "session_confirmation.answered", changes_between(before, snapshot(confirmation)))
    )
    return confirmation
