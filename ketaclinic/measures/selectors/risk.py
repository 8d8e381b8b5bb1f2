"""The suicide-risk alert queue of the actor's centers."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ketaclinic.clinics.authorization import center_ids_for
from ketaclinic.core.errors import NotFound
from ketaclinic.core.permissions import Perm
from ketaclinic.patients.models import PatientAlert


def risk_alert_queue(*, actor: Any, center_id: int | None) -> QuerySet[PatientAlert]:
    """Open suicide-risk alerts at the actor's centers: unacknowledged first, oldest first."""
    centers = center_ids_for(actor, Perm.RISK_ALERT_ACKNOWLEDGE) or center_ids_for(actor, Perm.MEASURE_VIEW)
    if center_id is not None:
        centers = [c for c in centers if c == center_id]
    return (
        PatientAlert.objects.in_use()
        .filter(patient__center_id__in=centers, kind=PatientAlert.Kind.SUICIDE_RISK, resolved_at__isnull=True)
        .select_related("patient", "acknowledged_by")
        .order_by("acknowledged_at", "raised_at")
    )


def risk_alert_get(*, actor: Any, alert_id: UUID | str) -> PatientAlert:
    try:
        return risk_alert_queue(actor=actor, center_id=None).get(external_id=alert_id)
    except (PatientAlert.DoesNotExist, ValueError):
        raise NotFound(_("Alert not found."), code="alert_not_found") from None
