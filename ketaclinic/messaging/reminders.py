"""Reminders of questionnaires due today: queued, then sent with a fresh link."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ketaclinic.measures.models import MeasurementDue, OutgoingMessage
from ketaclinic.measures.services.links import questionnaire_link_create, questionnaire_link_url
from ketaclinic.measures.wording import patient_language
from ketaclinic.messaging.sending import outgoing_message_deliver
from ketaclinic.messaging.texts import questionnaire_reminder_body, questionnaire_reminder_subject


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
                        subject=questionnaire_reminder_subject(),
                    )
                )
        due.reminded_at = timezone.now()
        due.save(update_fields=["reminded_at"])
    OutgoingMessage.objects.bulk_create(queued)
    return queued


def measurement_reminders_to_send() -> list[OutgoingMessage]:
    """Queued questionnaire reminders; messages without a due item are session confirmations."""
    queued = OutgoingMessage.objects.filter(status=OutgoingMessage.Status.QUEUED, due__isnull=False)
    return list(queued.select_related("patient", "due"))


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
    body = questionnaire_reminder_body(
        url=questionnaire_link_url(token), hours=settings.KETACLINIC_QUESTIONNAIRE_LINK_HOURS
    )
    return outgoing_message_deliver(message=message, body=body)
