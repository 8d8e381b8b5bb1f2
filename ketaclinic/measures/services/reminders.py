"""Reminders of questionnaires due today: queued, then sent with a fresh link."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.measures.models import MeasurementDue, OutgoingMessage
from ketaclinic.measures.services.links import questionnaire_link_create, questionnaire_link_url
from ketaclinic.measures.text_messages import TextMessage, text_message_backend
from ketaclinic.measures.wording import patient_language


@transaction.atomic
def measurement_reminders_queue(*, today: dt.date) -> list[OutgoingMessage]:
    """Queue one reminder per patient contact for every questionnaire due today and not done."""
    due_today = (
        MeasurementDue.objects.select_for_update()
        .filter(due_on=today, completed_at__isnull=True, cancelled_at__isnull=True, reminded_at__isnull=True)
        .select_related("patient")
    )
    queued = []
    for due in due_today:
        patient = due.patient
        for channel, address in (
            (OutgoingMessage.Channel.EMAIL, patient.email),
            (OutgoingMessage.Channel.SMS, patient.phone),
        ):
            if address:
                queued.append(
                    OutgoingMessage(
                        patient=patient,
                        due=due,
                        channel=channel,
                        to=address,
                        subject=_("A short questionnaire from your care team"),
                    )
                )
        due.reminded_at = timezone.now()
        due.save(update_fields=["reminded_at"])
    OutgoingMessage.objects.bulk_create(queued)
    return queued


def outgoing_message_send(*, message: OutgoingMessage) -> OutgoingMessage:
    """Make a fresh link and send it; the token lives only in the message that leaves."""
    due = message.due
    assert due is not None
    with transaction.atomic():
        _link, token = questionnaire_link_create(
            actor=None,
            patient=message.patient,
            instrument_code=due.instrument_code,
            language=patient_language(message.patient),
            due=due,
        )
    body = _(
        "Hello from your care team. Please answer a short questionnaire before your next visit: %(url)s "
        "The link works once and expires in %(hours)s hours. If you are in crisis, call or text 988."
    ) % {"url": questionnaire_link_url(token), "hours": settings.KETACLINIC_QUESTIONNAIRE_LINK_HOURS}
    return outgoing_message_deliver(message=message, body=body)


def outgoing_message_deliver(*, message: OutgoingMessage, body: str) -> OutgoingMessage:
    """Send a message's body by its channel; a transport failure is recorded on the message."""
    try:
        if message.channel == OutgoingMessage.Channel.EMAIL:
            send_mail(message.subject, body, None, [message.to], fail_silently=False)
        else:
            text_message_backend().send(TextMessage(to=message.to, body=body))
    except Exception as error:  # noqa: BLE001 - any transport failure is recorded on the message
        outgoing_message_mark(message, OutgoingMessage.Status.FAILED, error=f"{type(error).__name__}: {error}")
        return message
    outgoing_message_mark(message, OutgoingMessage.Status.SENT)
    return message


def outgoing_message_mark(message: OutgoingMessage, status: str, *, error: str = "") -> None:
    message.status, message.error = status, error
    message.sent_at = timezone.now() if status == OutgoingMessage.Status.SENT else None
    message.save(update_fields=["status", "error", "sent_at"])
