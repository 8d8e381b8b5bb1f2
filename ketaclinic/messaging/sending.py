"""How a message leaves: email through Django's mailers, text messages (SMS) behind one small interface.

``KETACLINIC_SMS_BACKEND`` names the text-message class, like Django's email backends. The console
backend writes messages to standard output for development; ``memory`` keeps them in ``outbox``
for tests, as Django's locmem email backend does. A real gateway plugs in by implementing ``send``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import ClassVar, Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.module_loading import import_string

from ketaclinic.measures.models import OutgoingMessage


@dataclass(frozen=True, slots=True)
class TextMessage:
    to: str
    body: str


class TextMessageBackend(Protocol):
    def send(self, message: TextMessage) -> None: ...


class ConsoleTextMessageBackend:
    def send(self, message: TextMessage) -> None:
        sys.stdout.write(f"SMS to {message.to}: {message.body}\n")


class MemoryTextMessageBackend:
    outbox: ClassVar[list[TextMessage]] = []

    def send(self, message: TextMessage) -> None:
        type(self).outbox.append(message)


def text_message_backend() -> TextMessageBackend:
    backend: type[TextMessageBackend] = import_string(settings.KETACLINIC_SMS_BACKEND)
    return backend()


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
