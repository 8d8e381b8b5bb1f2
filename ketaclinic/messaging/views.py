"""Messages a member of staff sends from a page: the consultation letter to the care team."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpResponse

from ketaclinic.audit.access import staff_view
from ketaclinic.audit.actions import AuditAction
from ketaclinic.clinics.actors import StaffRequest
from ketaclinic.core.permissions import Perm
from ketaclinic.intake.selectors.consultations import consultation_get
from ketaclinic.messaging.letters import consultation_letter_render
from ketaclinic.patients.selectors.care_team import care_team_member_get
from ketaclinic.patients.selectors.patients import patient_chart_get


@staff_view(Perm.LETTER_SEND, action=AuditAction.CONSULTATION_LETTER_GENERATED)
def letter_view(request: StaffRequest, patient_id: UUID, consultation_id: UUID, member_id: UUID) -> HttpResponse:
    patient = patient_chart_get(actor=request.actor, perm=Perm.LETTER_SEND, patient_id=patient_id)
    consultation = consultation_get(actor=request.actor, patient=patient, consultation_id=consultation_id)
    member = care_team_member_get(actor=request.actor, patient=patient, member_id=member_id)
    pdf = consultation_letter_render(actor=request.actor, consultation=consultation, recipient=member)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="consultation-{patient.mrn}.pdf"'
    return response
