"""FHIR R4 downloads, for a receiving clinic or the care team: one treatment session, one questionnaire response."""

from __future__ import annotations

import json
from uuid import UUID

from django.http import HttpResponse, JsonResponse

from ketaclinic.audit.access import staff_view
from ketaclinic.audit.actions import AuditAction
from ketaclinic.clinics.actors import StaffRequest
from ketaclinic.core.permissions import Perm
from ketaclinic.fhir.responses import response_bundle
from ketaclinic.fhir.sessions import session_bundle
from ketaclinic.measures.selectors.responses import questionnaire_response_get
from ketaclinic.patients.selectors.patients import patient_get
from ketaclinic.sessions.selectors.session import session_get

FHIR_JSON = "application/fhir+json"


@staff_view(Perm.SESSION_VIEW, action=AuditAction.SESSION_FHIR_EXPORTED)
def session_fhir_view(request: StaffRequest, session_id: UUID) -> HttpResponse:
    """The session's Encounter, doses and readings as a collection Bundle (another center's is 404)."""
    session = session_get(actor=request.actor, perm=Perm.SESSION_VIEW, session_id=session_id)
    body = json.dumps(session_bundle(session), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type=f"{FHIR_JSON}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="session-{session.external_id}.fhir.json"'
    return response


@staff_view(Perm.MEASURE_VIEW, action=AuditAction.QUESTIONNAIRE_RESPONSE_EXPORTED)
def response_fhir_view(request: StaffRequest, patient_id: UUID, response_id: UUID) -> HttpResponse:
    """One stored questionnaire response with its score Observation, as a Bundle."""
    patient = patient_get(actor=request.actor, perm=Perm.MEASURE_VIEW, patient_id=patient_id)
    response = questionnaire_response_get(actor=request.actor, patient=patient, response_id=response_id)
    return JsonResponse(response_bundle(response), json_dumps_params={"indent": 2})
