from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ketaclinic.clinics.authorization import can
from ketaclinic.clinics.selectors import active_center_get, my_centers
from ketaclinic.core.permissions import Perm


def active_center(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "active_center": active_center_get(actor=user, session=request.session),
        "my_centers": my_centers(actor=user),
        "nav": {
            "patients": can(user, Perm.PATIENT_LIST),
            "emergency_access": can(user, Perm.EMERGENCY_ACCESS),
            "audit": can(user, Perm.AUDIT_VIEW),
            "intake": can(user, Perm.INTAKE_VIEW),
        },
    }
