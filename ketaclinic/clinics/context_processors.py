from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ketaclinic.clinics.actors import request_actor
from ketaclinic.clinics.selectors import active_center_get, my_centers
from ketaclinic.core.permissions import Perm


def active_center(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    actor = request_actor(request)
    return {
        "active_center": active_center_get(actor=actor, session=request.session),
        "my_centers": my_centers(actor=actor),
        "nav": {
            "patients": actor.can(Perm.PATIENT_LIST),
            "emergency_access": actor.can(Perm.EMERGENCY_ACCESS),
            "audit": actor.can(Perm.AUDIT_VIEW),
            "intake": actor.can(Perm.INTAKE_VIEW),
        },
    }
