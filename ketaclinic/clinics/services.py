from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.models import TreatmentCenter
from ketaclinic.clinics.selectors import ACTIVE_CENTER_KEY
from ketaclinic.core.errors import NotFound


def active_center_switch(*, actor: Actor, session: Any, center_id: str) -> TreatmentCenter:
    """Work in another of the actor's centers: lists and new patients follow it."""
    for center_pk, held in actor.roles.items():
        if str(held.center.external_id) == center_id:
            session[ACTIVE_CENTER_KEY] = center_pk
            return held.center
    raise NotFound(_("Center not found."), code="center_not_found")
