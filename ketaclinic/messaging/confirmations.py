"""The day-before ask: the patient confirms fasting and a ride home through a single-use link.

The day before each scheduled session (in the center's own time zone) one confirmation is made
and one message queued. The link's token exists only in the message that leaves: sending makes a
fresh token and keeps its hash, as questionnaire reminders do. The patient's answer is taken by
``sessions.services.confirmations`` and shows on the day list.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation

from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import audit_change_record
from ketaclinic.clinics.models import TreatmentCenter
from ketaclinic.core.tokens import token_digest
from ketaclinic.measures.models import OutgoingMessage
from ketaclinic.measures.wording import patient_language
from ketaclinic.messaging.sending import outgoing_message_deliver, outgoing_message_mark
from ketaclinic.messaging.texts import session_confirmation_body, session_confirmation_subject
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
        subject = session_confirmation_subject(center_name=center.name)
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
        action=AuditAction.SESSION_CONFIRMATION_CREATED,
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
    session = confirmation.session
    center = session.chair.room.center
    with translation.override(patient_language(confirmation.patient)):
        body = session_confirmation_body(
            center_name=center.name,
            starts_at_local=session.starts_at.astimezone(center.zone),
            url=session_confirmation_url(token),
        )
    return outgoing_message_deliver(message=message, body=body)
