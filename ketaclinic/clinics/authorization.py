"""Role checks against the one permission table in ``ketaclinic.core.permissions``.

A staff member's roles are read once per request and kept on the user object, so a page
pays one query for authorization however many checks it makes. Everything fails closed:
an unknown user, an inactive role or an action missing from the table is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from ketaclinic.core.errors import Forbidden
from ketaclinic.core.permissions import Perm, Role, role_allows

if TYPE_CHECKING:
    from ketaclinic.clinics.models import TreatmentCenter

_CACHE_ATTR = "_ketaclinic_center_roles"


@dataclass(frozen=True, slots=True)
class CenterRoles:
    center: TreatmentCenter
    roles: frozenset[Role]


def center_roles_for(actor: Any) -> dict[int, CenterRoles]:
    """Map center id to the actor's active roles there (one query, then cached)."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return {}
    cached = getattr(actor, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    from ketaclinic.clinics.models import StaffRole

    by_center: dict[int, tuple[Any, set[Role]]] = {}
    rows = StaffRole.objects.filter(user_id=actor.pk, is_active=True, center__is_active=True).select_related(
        "center", "center__organization"
    )
    for row in rows:
        by_center.setdefault(row.center_id, (row.center, set()))[1].add(Role(row.role))
    result = {cid: CenterRoles(center=c, roles=frozenset(r)) for cid, (c, r) in by_center.items()}
    setattr(actor, _CACHE_ATTR, result)
    return result


def center_ids_for(actor: Any, perm: Perm) -> list[int]:
    return [cid for cid, held in center_roles_for(actor).items() if any(role_allows(role, perm) for role in held.roles)]


def organization_ids_for(actor: Any, perm: Perm) -> list[int]:
    roles = center_roles_for(actor)
    return sorted({roles[cid].center.organization_id for cid in center_ids_for(actor, perm)})


def can(actor: Any, perm: Perm, *, center_id: int | None = None) -> bool:
    allowed = center_ids_for(actor, perm)
    return bool(allowed) if center_id is None else center_id in allowed


def require(actor: Any, perm: Perm, *, center_id: int | None = None) -> None:
    """Raise Forbidden unless the actor holds a role allowing ``perm`` (at ``center_id``)."""
    if not can(actor, perm, center_id=center_id):
        raise Forbidden(_("Your role does not allow this."), code="permission_denied")


def role_label_for(actor: Any, center_id: int | None) -> str:
    """The actor's roles at a center, as stored on audit entries."""
    held = center_roles_for(actor).get(center_id) if center_id is not None else None
    if held is None:
        return ""
    return ",".join(sorted(role.value for role in held.roles))
