"""The patient's answer to the day-before ask: fasting and a ride home, through a single-use link.

The ask itself (the confirmation, its message and its link) is made and sent by
``ketaclinic.messaging.confirmations``; here the patient opens the link, confirms their birth date
and answers once. The answer shows on the day list.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import EntryFacts, audit_event_record, changes_between, snapshot
from ketaclinic.core.errors import Conflict, NotFound
from ketaclinic.core.tokens import token_digest
from ketaclinic.measures.services.links import MAX_IDENTITY_ATTEMPTS
from ketaclinic.sessions.models import SessionConfirmation, TreatmentSession


def _patient_facts(confirmation: SessionConfirmation, action: AuditAction, changes: dict[str, Any]) -> EntryFacts:
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
                AuditAction.SESSION_CONFIRMATION_IDENTITY_FAILED,
                {"failed_identity_attempts": confirmation.failed_identity_attempts},
            )
        )
        return False
    audit_event_record(_patient_facts(confirmation, AuditAction.SESSION_CONFIRMATION_IDENTITY_CONFIRMED, {}))
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
        _patient_facts(
            confirmation, AuditAction.SESSION_CONFIRMATION_ANSWERED, changes_between(before, snapshot(confirmation))
        )
    )
    return confirmation
