from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.models import Chair, OpeningHours, Room, TreatmentCenter
from ketaclinic.core.permissions import Perm

ACTIVE_CENTER_KEY = "ketaclinic_active_center"


def my_centers(*, actor: Actor) -> list[TreatmentCenter]:
    """The centers where the actor holds a role, by name (from the actor's roles, no query)."""
    return sorted((held.center for held in actor.roles.values()), key=lambda center: center.name)


def active_center_get(*, actor: Actor, session: Any) -> TreatmentCenter | None:
    """The center the actor chose to work in, or their first one."""
    held = actor.roles
    chosen = session.get(ACTIVE_CENTER_KEY)
    if chosen in held:
        return held[chosen].center
    centers = my_centers(actor=actor)
    return centers[0] if centers else None


def center_list(*, actor: Actor) -> QuerySet[TreatmentCenter]:
    return (
        TreatmentCenter.objects.filter(pk__in=actor.centers_with(Perm.CENTER_VIEW))
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
