"""The FHIR R4 download of one treatment session, for a receiving clinic or the care team."""

from __future__ import annotations

import json
from uuid import UUID

from django.http import HttpRequest, HttpResponse

from ketaclinic.audit.access import staff_view
from ketaclinic.core.permissions import Perm
from ketaclinic.fhir.sessions import session_bundle
from ketaclinic.sessions.selectors.session import session_get

FHIR_JSON = "application/fhir+json"


@staff_view(Perm.SESSION_VIEW, action="session.fhir_exported")
def session_fhir_view(request: HttpRequest, session_id: UUID) -> HttpResponse:
    """The session's Encounter, doses and readings as a collection Bundle (another center's is 404)."""
    session = session_get(actor=request.user, session_id=session_id)
    body = json.dumps(session_bundle(session), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type=f"{FHIR_JSON}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="session-{session.external_id}.fhir.json"'
    return response
