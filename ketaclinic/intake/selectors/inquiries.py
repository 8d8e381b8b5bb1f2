"""Reads of intake: centers as the public sees them, consultation requests, and who holds consultations."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ketaclinic.accounts.models import User
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.models import StaffRole, TreatmentCenter
from ketaclinic.core.errors import NotFound
from ketaclinic.core.permissions import Perm, Role
from ketaclinic.intake.models import ConsultationRequest
from ketaclinic.patients.selectors.scoping import at_centers


def center_public_get(*, slug: str) -> TreatmentCenter:
    """A center as the public sees it: active ones only."""
    try:
        return TreatmentCenter.objects.get(slug=slug, is_active=True)
    except TreatmentCenter.DoesNotExist:
        raise NotFound(_("No such center."), code="center_not_found") from None


def consultation_request_list(
    *, actor: Actor, center_id: int | None, status: str = ""
) -> QuerySet[ConsultationRequest]:
    requests = ConsultationRequest.objects.filter(at_centers(actor=actor, perm=Perm.INTAKE_VIEW, center_id=center_id))
    if status:
        requests = requests.filter(status=status)
    return requests.select_related("center", "patient", "consultation_with").order_by("-received_at")


def consultation_request_get(*, actor: Actor, request_id: UUID | str) -> ConsultationRequest:
    try:
        return consultation_request_list(actor=actor, center_id=None).get(external_id=request_id)
    except (ConsultationRequest.DoesNotExist, ValueError):
        raise NotFound(_("Request not found."), code="request_not_found") from None


def consultation_clinicians(*, center_id: int) -> QuerySet[User]:
    """Prescribers of the center, who hold consultations."""
    staff = StaffRole.objects.filter(center_id=center_id, role=Role.PRESCRIBER, is_active=True).values("user_id")
    return User.objects.filter(pk__in=staff, is_active=True).order_by("last_name", "first_name")
