"""One treatment session as the acting user may see it, a patient's sessions, and their latest checks."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.utils.translation import gettext as _

from ketaclinic.clinics.actors import Actor
from ketaclinic.core.errors import NotFound
from ketaclinic.core.permissions import Perm
from ketaclinic.patients.selectors.scoping import patient_records_scope
from ketaclinic.sessions.models import PreSessionCheck, SessionConfirmation, TreatmentSession


def session_get(*, actor: Actor, perm: Perm, session_id: UUID | str) -> TreatmentSession:
    try:
        return (
            TreatmentSession.objects.in_use()
            .filter(patient_records_scope(actor=actor, perm=perm))
            .select_related("patient", "chair")
            .get(external_id=session_id)
        )
    except (TreatmentSession.DoesNotExist, ValueError):
        raise NotFound(_("Session not found."), code="session_not_found") from None


def sessions_for_patient(*, actor: Actor, patient: Any) -> list[TreatmentSession]:
    return list(
        TreatmentSession.objects.in_use()
        .filter(patient_id=patient.pk)
        .select_related("chair", "nurse")
        .order_by("starts_at")
    )


def latest_check(*, session: TreatmentSession) -> PreSessionCheck | None:
    return PreSessionCheck.objects.in_use().filter(session=session).order_by("-checked_at", "-pk").first()


def latest_confirmations(*, session: TreatmentSession) -> list[SessionConfirmation]:
    """The newest day-before confirmation of a session, as a list like the day view's prefetch."""
    return list(
        SessionConfirmation.objects.filter(session=session).select_related("message").order_by("-created_at")[:1]
    )
