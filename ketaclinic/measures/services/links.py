"""Single-use questionnaire links: made, opened, the patient's identity confirmed, answered."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import audit_change_record
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.authorization import require
from ketaclinic.core import instruments as library
from ketaclinic.core.errors import Conflict, NotFound, RuleViolation
from ketaclinic.core.permissions import Perm
from ketaclinic.core.tokens import token_digest
from ketaclinic.measures.models import MeasurementDue, QuestionnaireLink, QuestionnaireResponse, ResponseSource
from ketaclinic.measures.services.instrument_wording import questionnaire_text
from ketaclinic.measures.services.responses import instrument_get, questionnaire_response_save, record_change
from ketaclinic.patients.models import Patient

MAX_IDENTITY_ATTEMPTS = 5


@transaction.atomic
def questionnaire_link_create(
    *,
    actor: Actor | None,
    patient: Patient,
    instrument_code: str,
    language: str = "en",
    due: MeasurementDue | None = None,
    valid_hours: int | None = None,
) -> tuple[QuestionnaireLink, str]:
    """Make a single-use link; returns it with its token, which is not stored and shown once."""
    if actor is not None:
        require(actor, Perm.MEASURE_LINK_SEND, center_id=patient.center_id)
    instrument = instrument_get(instrument_code)
    if instrument.completed_by is library.CompletedBy.CLINICIAN:
        raise RuleViolation(
            _("A clinician rates this scale; it cannot be sent to the patient."), code="clinician_rated"
        )
    if not questionnaire_text(instrument=instrument, organization_id=patient.organization_id, language=language):
        raise RuleViolation(
            _("The wording of %(scale)s in this language has not been loaded yet.") % {"scale": instrument.short_name},
            code="wording_missing",
        )
    token = secrets.token_urlsafe(24)
    hours = valid_hours or settings.KETACLINIC_QUESTIONNAIRE_LINK_HOURS
    link = QuestionnaireLink(
        token_hash=token_digest(token),
        patient=patient,
        instrument_code=instrument.code,
        language=language,
        due=due,
        created_by=actor.user if actor is not None else None,
        expires_at=timezone.now() + dt.timedelta(hours=hours),
    )
    link.full_clean()
    link.save()
    audit_change_record(
        actor=actor,
        instance=link,
        action=AuditAction.QUESTIONNAIRE_LINK_CREATED,
        changes={"instrument_code": [None, link.instrument_code], "expires_at": [None, link.expires_at]},
    )
    return link, token


def questionnaire_link_url(token: str) -> str:
    return settings.KETACLINIC_PUBLIC_URL.rstrip("/") + reverse("portal:questionnaire", kwargs={"token": token})


def questionnaire_link_open(*, token: str) -> QuestionnaireLink:
    """The live link for a token; a used, expired or unknown one answers the same."""
    link = (
        QuestionnaireLink.objects.select_related("patient", "patient__organization", "response")
        .filter(token_hash=token_digest(token))
        .first()
    )
    if link is None or link.used_at or link.revoked_at or link.expires_at <= timezone.now():
        raise NotFound(_("This link has expired or was already used. Ask the clinic for a new one."), code="link_dead")
    if link.failed_identity_attempts >= MAX_IDENTITY_ATTEMPTS:
        raise NotFound(_("This link is locked. Ask the clinic for a new one."), code="link_locked")
    return link


@transaction.atomic
def questionnaire_link_confirm_identity(*, link: QuestionnaireLink, date_of_birth: dt.date) -> bool:
    link = QuestionnaireLink.objects.select_for_update().select_related("patient").get(pk=link.pk)
    # Checked again under the lock: parallel guesses must not get past the limit.
    if (
        link.failed_identity_attempts >= MAX_IDENTITY_ATTEMPTS
        or link.used_at
        or link.revoked_at
        or link.expires_at <= timezone.now()
    ):
        raise NotFound(_("This link is locked. Ask the clinic for a new one."), code="link_locked")
    if link.patient.date_of_birth != date_of_birth:
        link.failed_identity_attempts += 1
        link.save(update_fields=["failed_identity_attempts"])
        record_change(
            link,
            link,
            AuditAction.QUESTIONNAIRE_LINK_IDENTITY_FAILED,
            {"failed_identity_attempts": link.failed_identity_attempts},
        )
        return False
    link.identity_confirmed_at = timezone.now()
    link.save(update_fields=["identity_confirmed_at"])
    record_change(link, link, AuditAction.QUESTIONNAIRE_LINK_IDENTITY_CONFIRMED, {})
    return True


@transaction.atomic
def questionnaire_link_answer(
    *, link: QuestionnaireLink, answers: Mapping[int, int | None], complete: bool
) -> QuestionnaireResponse:
    """Save a patient's answers through their link; submitting uses the link up."""
    link = (
        QuestionnaireLink.objects.select_for_update().select_related("patient", "patient__organization").get(pk=link.pk)
    )
    if link.used_at is not None:
        raise Conflict(_("This questionnaire was already submitted."), code="already_completed")
    response = questionnaire_response_save(
        actor=link,
        patient=link.patient,
        instrument_code=link.instrument_code,
        answers=answers,
        source=ResponseSource.PATIENT,
        language=link.language,
        complete=complete,
        response=link.response,
        due=link.due,
    )
    link.response = response
    if complete:
        link.used_at = response.completed_at
    link.save(update_fields=["response", "used_at"])
    return response
