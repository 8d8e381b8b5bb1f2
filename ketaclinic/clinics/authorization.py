"""Role checks against the one permission table in ``ketaclinic.core.permissions``.

Services ask these of the ``Actor`` they are handed (``clinics.actors``), whose roles were read
once when it was built. Everything fails closed: an action missing from the table is refused.
"""

from __future__ import annotations

from ketaclinic.clinics.actors import Actor
from ketaclinic.core.permissions import Perm


def can(actor: Actor, perm: Perm, *, center_id: int | None = None) -> bool:
    return actor.can(perm, center_id=center_id)


def require(actor: Actor, perm: Perm, *, center_id: int | None = None) -> None:
    """Raise Forbidden unless the actor holds a role allowing ``perm`` (at ``center_id``)."""
    actor.require(perm, center_id=center_id)
