"""Stored questionnaire responses as FHIR R4 (QuestionnaireResponse + score Observation)."""

from __future__ import annotations

from typing import Any

from ketaclinic.core import instruments as library
from ketaclinic.fhir.questionnaires import AnswerSource, QuestionnaireAnswers, ResponseStatus, bundle_for
from ketaclinic.measures.models import QuestionnaireResponse
from ketaclinic.measures.scoring import patient_score


def fhir_answers(response: QuestionnaireResponse) -> QuestionnaireAnswers:
    instrument = library.instrument(response.instrument_code)
    answers = response.answers_by_item
    completed = response.status == QuestionnaireResponse.Status.COMPLETED
    if response.is_entered_in_error:
        status = ResponseStatus.ENTERED_IN_ERROR
    else:
        status = ResponseStatus.COMPLETED if completed else ResponseStatus.IN_PROGRESS
    return QuestionnaireAnswers(
        response_id=str(response.external_id),
        instrument_code=instrument.code,
        instrument_version=response.instrument_version,
        patient_id=str(response.patient.external_id),
        patient_display=response.patient.display_name,
        author_id=str(response.entered_by.external_id) if response.entered_by else None,
        source=AnswerSource(response.source),
        language=response.language,
        status=status,
        authored_at=response.completed_at or response.started_at,
        answers=answers,
        result=patient_score(instrument=instrument, answers=answers, patient=response.patient) if completed else None,
    )


def response_bundle(response: QuestionnaireResponse) -> dict[str, Any]:
    return bundle_for(fhir_answers(response), library.instrument(response.instrument_code))
