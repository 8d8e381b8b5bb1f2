"""Which monitor a token belongs to, and the sessions it may post readings for."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from ketaclinic.core.errors import NotFound
from ketaclinic.core.tokens import token_digest
from ketaclinic.sessions.models import MonitorDevice, TreatmentSession


def device_for_token(token: str) -> MonitorDevice | None:
    return MonitorDevice.objects.filter(token_hash=token_digest(token), is_active=True).first()


def device_session_get(*, device: MonitorDevice, session_id: Any) -> TreatmentSession:
    """A session at the device's own center; any other answers like one that does not exist."""
    try:
        return TreatmentSession.objects.select_related("patient").get(
            external_id=session_id, patient__center_id=device.center_id
        )
    except (TreatmentSession.DoesNotExist, ValueError):
        raise NotFound(_("Session not found."), code="session_not_found") from None
