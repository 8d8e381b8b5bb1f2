"""The one center-scoping rule: which patients, and which of their records, an actor reaches.

A row is reached for an action where one of the actor's roles at the row's center allows it;
a list narrowed to one center reaches that center only if it is one of those. Patients are
reached for viewing, for a limited time, through a break-the-glass grant too. Every app's
selectors filter patient data through these, with the permission of the action at hand
passed in, never read from the request around them.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from ketaclinic.clinics.actors import Actor
from ketaclinic.core.permissions import Perm
from ketaclinic.patients.models import EmergencyAccess


def centers_in_scope(*, actor: Actor, perm: Perm, center_id: int | None = None) -> list[int]:
    """Ids of the centers where the actor may do ``perm``; only ``center_id`` of them when given."""
    centers = actor.centers_with(perm)
    return centers if center_id is None else [c for c in centers if c == center_id]


def at_centers(*, actor: Actor, perm: Perm, center_id: int | None = None, field: str = "center_id") -> Q:
    """Rows whose ``field`` is a center in scope (``lot__center_id`` for a row kept at a center)."""
    return Q(**{f"{field}__in": centers_in_scope(actor=actor, perm=perm, center_id=center_id)})


def patient_scope(*, actor: Actor, perm: Perm, center_id: int | None = None) -> Q:
    """The patients the actor may reach for ``perm``: their centers', plus live emergency grants.

    A grant opens a patient to be viewed (``Perm.PATIENT_VIEW``), not for any other action, and
    not into a list narrowed to one center.
    """
    own = at_centers(actor=actor, perm=perm, center_id=center_id)
    if perm is not Perm.PATIENT_VIEW or center_id is not None:
        return own
    granted = EmergencyAccess.objects.filter(actor_id=actor.user.pk, expires_at__gt=timezone.now()).values("patient_id")
    return own | Q(pk__in=granted)


def patient_records_scope(*, actor: Actor, perm: Perm, center_id: int | None = None, via: str = "patient") -> Q:
    """Records that belong to a patient (through ``via``) at a center in scope for ``perm``."""
    return at_centers(actor=actor, perm=perm, center_id=center_id, field=f"{via}__center_id")
