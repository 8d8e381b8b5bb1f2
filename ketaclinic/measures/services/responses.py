"""Questionnaire answers, from staff or from the patient's link: saved, scored, checked for risk."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import (
    EntryFacts,
    audit_change_record,
    audit_event_record,
    changes_between,
    jsonable,
    snapshot,
)
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.authorization import require
from ketaclinic.core import instruments as library
from ketaclinic.core.errors import Conflict, Forbidden, NotFound, RuleViolation
from ketaclinic.core.permissions import Perm
from ketaclinic.measures.models import MeasurementDue, QuestionnaireLink, QuestionnaireResponse, ResponseSource
from ketaclinic.measures.scoring import patient_score, scoring_sex
from ketaclinic.measures.services.risk import risk_alerts_raise
from ketaclinic.patients.models import Patient


def instrument_get(code: str) -> library.Instrument:
    try:
        return library.instrument(code)
    except NotFound:
        raise NotFound(_("No such questionnaire."), code="instrument_not_found") from None


def _require_entry(
    actor: Actor | QuestionnaireLink, instrument: library.Instrument, patient: Patient, source: str
) -> None:
    """Clinician-rated scales need a rater; self-report scales can be keyed in by staff."""
    if isinstance(actor, QuestionnaireLink):
        if actor.patient_id != patient.pk or actor.instrument_code != instrument.code:
            raise Forbidden(_("This link is for another questionnaire."), code="link_mismatch")
        if instrument.completed_by is library.CompletedBy.CLINICIAN:
            raise Forbidden(_("A clinician completes this scale."), code="clinician_rated")
        return
    perm = Perm.MEASURE_RATE if source == ResponseSource.CLINICIAN else Perm.MEASURE_ENTER
    require(actor, perm, center_id=patient.center_id)
    if instrument.completed_by is library.CompletedBy.CLINICIAN and source != ResponseSource.CLINICIAN:
        raise RuleViolation(_("This scale is rated by a clinician."), code="clinician_rated", field="source")


def _clean_answers(
    instrument: library.Instrument, answers: Mapping[int, int | None], patient: Patient
) -> tuple[dict[int, int | None], library.ScoreResult]:
    """The answers keyed by item number, and their score; raises RuleViolation naming a bad answer."""
    cleaned = {int(number): value for number, value in answers.items()}
    return cleaned, patient_score(instrument=instrument, answers=cleaned, patient=patient)


def _author_label(actor: Actor | QuestionnaireLink) -> str:
    return f"patient via link {actor.external_id}" if isinstance(actor, QuestionnaireLink) else ""


def record_change(
    actor: Actor | QuestionnaireLink, instance: Any, action: AuditAction, changes: dict[str, Any]
) -> None:
    if isinstance(actor, QuestionnaireLink):
        audit_event_record(
            EntryFacts(
                kind="change",
                action=action,
                actor=None,
                actor_label=_author_label(actor),
                role="patient",
                center_id=instance.patient.center_id,
                patient_id=instance.patient_id,
                object_type=instance._meta.label_lower,
                object_id=str(instance.external_id),
                changes=changes,
            )
        )
    else:
        audit_change_record(actor=actor, instance=instance, action=action, changes=changes)


@transaction.atomic
def questionnaire_response_save(
    *,
    actor: Actor | QuestionnaireLink,
    patient: Patient,
    instrument_code: str,
    answers: Mapping[int, int | None],
    source: str,
    language: str = "en",
    complete: bool,
    response: QuestionnaireResponse | None = None,
    due: MeasurementDue | None = None,
    administered_at: dt.datetime | None = None,
) -> QuestionnaireResponse:
    """Save answers, in progress or complete; a completed one is scored and checked for risk.

    ``administered_at`` dates a paper form keyed in later; it cannot lie in the future.
    """
    instrument = instrument_get(instrument_code)
    _require_entry(actor, instrument, patient, source)
    cleaned, result = _clean_answers(instrument, answers, patient)
    now = timezone.now()
    if administered_at is not None:
        if administered_at > now:
            raise RuleViolation(_("A questionnaire cannot be dated in the future."), code="administered_in_future")
        if isinstance(actor, QuestionnaireLink):
            raise Forbidden(_("Only staff can date a questionnaire."), code="administered_at_staff_only")
        now = administered_at
    if response is None:
        response = QuestionnaireResponse(
            patient=patient,
            instrument_code=instrument.code,
            instrument_version=instrument.version,
            language=language,
            source=source,
            started_at=now,
            due=due,
            entered_by=None if isinstance(actor, QuestionnaireLink) else actor.user,
        )
        before: dict[str, Any] = {}
    else:
        response = QuestionnaireResponse.objects.select_for_update().select_related("patient").get(pk=response.pk)
        if response.patient_id != patient.pk or response.instrument_code != instrument.code:
            raise Conflict(_("That saved questionnaire is for another scale or patient."), code="response_mismatch")
        if not isinstance(actor, QuestionnaireLink) and hasattr(response, "link"):
            raise Conflict(_("The patient is answering this one through their link."), code="response_on_link")
        if response.status == QuestionnaireResponse.Status.COMPLETED:
            raise Conflict(_("This questionnaire was already submitted."), code="already_completed")
        before = snapshot(response)
    response.answers = {str(number): value for number, value in sorted(cleaned.items()) if value is not None}
    if complete:
        response.status = QuestionnaireResponse.Status.COMPLETED
        response.completed_at = now
        response.scoring_rule_version = result.scoring_rule_version
        response.total = result.total
        response.severity = result.severity or ""
        response.severity_label = result.severity_label or ""
        response.completeness = result.completeness.value
        response.flags = list(result.flags)
        response.verdict = jsonable(
            {
                "reasons": result.reasons,
                "thresholds": result.thresholds,
                "settings": result.settings,
                "subscales": result.subscales,
                "screens": result.screens,
                "missing_items": result.missing_items,
                "band_could_rise_to": result.band_could_rise_to,
                "sex": scoring_sex(patient).value,
            }
        )
    response.full_clean()
    response.save()
    record_change(
        actor,
        response,
        AuditAction.QUESTIONNAIRE_RESPONSE_COMPLETED if complete else AuditAction.QUESTIONNAIRE_RESPONSE_SAVED,
        changes_between(before, snapshot(response)),
    )
    if complete:
        if response.due_id:
            measurement_due_complete(due_id=response.due_id, at=now)
        risk_alerts_raise(instrument, response, result, language=language)
    else:
        # A positive suicide-risk answer must reach a clinician even if the form is never sent.
        risk_alerts_raise(instrument, response, result, language=language, positive_only=True)
    return response


def measurement_due_complete(*, due_id: int, at: dt.datetime) -> None:
    due = MeasurementDue.objects.select_for_update().get(pk=due_id)
    if due.completed_at is None:
        due.completed_at = at
        due.save(update_fields=["completed_at"])
