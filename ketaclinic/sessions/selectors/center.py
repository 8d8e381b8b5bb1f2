"""Who and what a center treats with: its treatment chairs, its nurses, its prescribers."""

from __future__ import annotations

from django.db.models import QuerySet

from ketaclinic.accounts.models import User
from ketaclinic.clinics.models import Chair, Room, StaffRole
from ketaclinic.core.permissions import Role


def center_chairs(*, center_id: int) -> QuerySet[Chair]:
    return Chair.objects.filter(
        room__center_id=center_id, is_active=True, room__kind=Room.Kind.TREATMENT
    ).select_related("room")


def center_nurses(*, center_id: int) -> QuerySet[User]:
    staff = StaffRole.objects.filter(center_id=center_id, role__in=[Role.NURSE, Role.PRESCRIBER], is_active=True)
    return User.objects.filter(pk__in=staff.values("user_id"), is_active=True).order_by("last_name", "first_name")


def center_prescribers(*, center_id: int) -> QuerySet[User]:
    staff = StaffRole.objects.filter(center_id=center_id, role=Role.PRESCRIBER, is_active=True)
    return User.objects.filter(pk__in=staff.values("user_id"), is_active=True).order_by("last_name", "first_name")
