from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from ketaclinic.clinics.authorization import center_ids_for, center_roles_for
from ketaclinic.clinics.models import Chair, OpeningHours, Room, TreatmentCenter
from ketaclinic.core.permissions import Perm

ACTIVE_CENTER_KEY = "ketaclinic_active_center"


def my_centers(*, actor: Any) -> list[TreatmentCenter]:
    """The centers where the actor holds a role, by name (from the cached roles, no query)."""
    return sorted((held.center for held in center_roles_for(actor).values()), key=lambda center: center.name)


def active_center_get(*, actor: Any, session: Any) -> TreatmentCenter | None:
    """The center the actor chose to work in, or their first one."""
    held = center_roles_for(actor)
    chosen = session.get(ACTIVE_CENTER_KEY)
    if chosen in held:
        return held[chosen].center
    centers = my_centers(actor=actor)
    return centers[0] if centers else None


def center_list(*, actor: Any) -> QuerySet[TreatmentCenter]:
    return (
        TreatmentCenter.objects.filter(pk__in=center_ids_for(actor, Perm.CENTER_VIEW))
        .select_related("organization")
        .prefetch_related(
            Prefetch("opening_hours", queryset=OpeningHours.objects.order_by("weekday", "opens_at")),
            Prefetch(
                "rooms",
                queryset=Room.objects.filter(is_active=True).prefetch_related(
                    Prefetch("chairs", queryset=Chair.objects.filter(is_active=True))
                ),
            ),
        )
        .order_by("name")
    )
