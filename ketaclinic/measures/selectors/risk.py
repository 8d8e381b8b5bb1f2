"""The suicide-risk alert queue of the actor's centers."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ketaclinic.clinics.actors import Actor
from ketaclinic.core.errors import NotFound
from ketaclinic.core.permissions import Perm
from ketaclinic.patients.models import PatientAlert


def risk_alert_queue(*, actor: Actor, center_id: int | None) -> QuerySet[PatientAlert]:
    """Open suicide-risk alerts at the actor's centers: unacknowledged first, oldest first."""
    centers = actor.centers_with(Perm.RISK_ALERT_ACKNOWLEDGE) or actor.centers_with(Perm.MEASURE_VIEW)
    if center_id is not None:
        centers = [c for c in centers if c == center_id]
    return (
        PatientAlert.objects.in_use()
        .filter(patient__center_id__in=centers, kind=PatientAlert.Kind.SUICIDE_RISK, resolved_at__isnull=True)
        .select_related("patient", "acknowledged_by")
        .order_by("acknowledged_at", "raised_at")
    )


def risk_alert_get(*, actor: Actor, alert_id: UUID | str) -> PatientAlert:
    try:
        return risk_alert_queue(actor=actor, center_id=None).get(external_id=alert_id)
    except (PatientAlert.DoesNotExist, ValueError):
        raise NotFound(_("Alert not found."), code="alert_not_found") from None
