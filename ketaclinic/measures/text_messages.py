"""Text messages (SMS) behind one small interface, like Django's email backends.

``KETACLINIC_SMS_BACKEND`` names the class. The console backend writes messages to standard
output for development; ``memory`` keeps them in ``outbox`` for tests, as Django's locmem
email backend does. A real gateway plugs in by implementing ``send``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import ClassVar, Protocol

from django.conf import settings
from django.utils.module_loading import import_string


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
