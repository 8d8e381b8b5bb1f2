"""Break-the-glass grants, as the auditors of the patients' centers see them."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ketaclinic.clinics.actors import Actor
from ketaclinic.core.errors import NotFound
from ketaclinic.core.permissions import Perm
from ketaclinic.patients.models import EmergencyAccess
from ketaclinic.patients.selectors.scoping import patient_records_scope


def emergency_access_list(*, actor: Actor, pending_review_only: bool = False) -> QuerySet[EmergencyAccess]:
    """Grants to patients of the centers the actor audits, newest first."""
    grants = EmergencyAccess.objects.filter(patient_records_scope(actor=actor, perm=Perm.AUDIT_REVIEW))
    if pending_review_only:
        grants = grants.filter(reviewed_at__isnull=True)
    return grants.select_related("actor", "patient", "patient__center", "reviewed_by").order_by("-granted_at")


def emergency_access_get(*, actor: Actor, grant_id: UUID | str) -> EmergencyAccess:
    try:
        return emergency_access_list(actor=actor).get(external_id=grant_id)
    except (EmergencyAccess.DoesNotExist, ValueError):
        raise NotFound(_("Emergency access grant not found."), code="grant_not_found") from None
