from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from ketaclinic.audit.models import AuditEntry
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.models import StaffRole
from ketaclinic.core.permissions import Perm


def record_history_list(*, actor: Actor, patient: Any) -> QuerySet[AuditEntry]:
    """Changes to one patient's record, newest first (the caller has checked the patient's scope)."""
    return (
        AuditEntry.objects.filter(patient_id=patient.pk, kind=AuditEntry.Kind.CHANGE)
        .select_related("actor")
        .order_by("-at", "-id")
    )


def audit_entry_list(
    *,
    actor: Actor,
    patient_mrn: str = "",
    user: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
    emergency_only: bool = False,
) -> QuerySet[AuditEntry]:
    """Entries about the centers the actor audits, plus sign-ins of staff who work there."""
    centers = actor.centers_with(Perm.AUDIT_VIEW)
    staff_there = StaffRole.objects.filter(center_id__in=centers).values("user_id")
    entries = AuditEntry.objects.filter(Q(center_id__in=centers) | Q(center__isnull=True, actor_id__in=staff_there))
    if patient_mrn:
        entries = entries.filter(patient__mrn__iexact=patient_mrn.strip())
    if user:
        entries = entries.filter(actor_label__iexact=user.strip())
    if since:
        entries = entries.filter(at__date__gte=since)
    if until:
        entries = entries.filter(at__date__lte=until)
    if emergency_only:
        entries = entries.filter(is_emergency=True)
    return entries.select_related("patient", "center").order_by("-at", "-id")
