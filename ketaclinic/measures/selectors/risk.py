"""The suicide-risk alert queue of the actor's centers."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ketaclinic.clinics.actors import Actor
from ketaclinic.core.errors import NotFound
from ketaclinic.core.permissions import Perm
from ketaclinic.patients.models import PatientAlert
from ketaclinic.patients.selectors.scoping import patient_records_scope


def risk_alert_queue(*, actor: Actor, center_id: int | None) -> QuerySet[PatientAlert]:
    """Open suicide-risk alerts at the actor's centers: unacknowledged first, oldest first."""
    # Those who act on the alerts see their own centers' queue; others may watch where they see measures.
    perm = Perm.RISK_ALERT_ACKNOWLEDGE if actor.can(Perm.RISK_ALERT_ACKNOWLEDGE) else Perm.MEASURE_VIEW
    return (
        PatientAlert.objects.in_use()
        .filter(patient_records_scope(actor=actor, perm=perm, center_id=center_id))
        .filter(kind=PatientAlert.Kind.SUICIDE_RISK, resolved_at__isnull=True)
        .select_related("patient", "acknowledged_by")
        .order_by("acknowledged_at", "raised_at")
    )


def risk_alert_get(*, actor: Actor, alert_id: UUID | str) -> PatientAlert:
    try:
        return risk_alert_queue(actor=actor, center_id=None).get(external_id=alert_id)
    except (PatientAlert.DoesNotExist, ValueError):
        raise NotFound(_("Alert not found."), code="alert_not_found") from None
