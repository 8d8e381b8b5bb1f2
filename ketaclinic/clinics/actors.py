"""Who acts: a member of staff and the roles they hold at each of their centers.

Every service and selector is handed an ``Actor``. Its roles are read in one query when it is
built, once per request, so a page pays one query for authorization however many checks it
makes. Everything fails closed: an inactive user, an inactive role or center, or an action
missing from the permission table is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.utils.translation import gettext as _

from ketaclinic.core.errors import Forbidden
from ketaclinic.core.permissions import Perm, Role, role_allows

if TYPE_CHECKING:
    from ketaclinic.accounts.models import User
    from ketaclinic.clinics.models import TreatmentCenter


@dataclass(frozen=True, slots=True)
class CenterRoles:
    center: TreatmentCenter
    roles: frozenset[Role]


@dataclass(frozen=True, slots=True)
class Actor:
    """The user, and the roles they hold at each center they act in (center id -> roles)."""

    user: User
    roles: Mapping[int, CenterRoles]

    @classmethod
    def of(cls, user: User) -> Actor:
        """The user with their active roles at active centers (one query; none if inactive)."""
        if not user.is_active:
            return cls(user=user, roles=MappingProxyType({}))
        from ketaclinic.clinics.models import StaffRole

        by_center: dict[int, tuple[TreatmentCenter, set[Role]]] = {}
        rows = StaffRole.objects.filter(user_id=user.pk, is_active=True, center__is_active=True).select_related(
            "center", "center__organization"
        )
        for row in rows:
            by_center.setdefault(row.center_id, (row.center, set()))[1].add(Role(row.role))
        roles = {cid: CenterRoles(center=center, roles=frozenset(held)) for cid, (center, held) in by_center.items()}
        return cls(user=user, roles=MappingProxyType(roles))

    def centers_with(self, perm: Perm) -> list[int]:
        """Ids of the centers where one of the actor's roles allows ``perm``."""
        return [cid for cid, held in self.roles.items() if any(role_allows(role, perm) for role in held.roles)]

    def organizations_with(self, perm: Perm) -> list[int]:
        return sorted({self.roles[cid].center.organization_id for cid in self.centers_with(perm)})

    def can(self, perm: Perm, *, center_id: int | None = None) -> bool:
        """Whether a role allows ``perm`` at ``center_id``, or at any of the actor's centers."""
        allowed = self.centers_with(perm)
        return bool(allowed) if center_id is None else center_id in allowed

    def require(self, perm: Perm, *, center_id: int | None = None) -> None:
        """Raise Forbidden unless a role allows ``perm`` (at ``center_id``)."""
        if not self.can(perm, center_id=center_id):
            raise Forbidden(_("Your role does not allow this."), code="permission_denied")

    def role_at(self, center_id: int | None) -> str:
        """The actor's roles at a center, as audit entries store them ("" where they hold none)."""
        held = self.roles.get(center_id) if center_id is not None else None
        if held is None:
            return ""
        return ",".join(sorted(role.value for role in held.roles))


class SignedInRequest(HttpRequest):
    """A request to a view that only a signed-in member of staff reaches."""

    user: User


class StaffRequest(SignedInRequest):
    """A request to a staff view: ``staff_view`` has built the signed-in user's ``actor``."""

    actor: Actor


def request_actor(request: HttpRequest) -> Actor:
    """The signed-in member of staff behind ``request``, built on first use and kept on it."""
    actor = getattr(request, "actor", None)
    if isinstance(actor, Actor):
        return actor
    user = request.user
    if not user.is_authenticated:
        raise Forbidden(_("Your role does not allow this."), code="permission_denied")
    actor = Actor.of(user)
    request.actor = actor  # type: ignore[attr-defined]  # StaffRequest declares it
    return actor
