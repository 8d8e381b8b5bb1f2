"""A plan's protocol settings: as signed into the plan, else the protocol library's.

Pure lookups on a plan already read; the dose, the checklist and the flowsheet all ask them.
"""

from __future__ import annotations

from typing import Any

from ketaclinic.core.dosing import PROTOCOL_DEFAULTS
from ketaclinic.treatment.models import TreatmentPlan
from ketaclinic.treatment.services import protocol_setting_as_signed


def protocol_setting(plan: TreatmentPlan, name: str) -> dict[str, Any] | None:
    """A protocol setting as signed into the plan, else the library's for the plan's protocol.

    Plans signed before a setting existed do not carry it in their snapshot.
    """
    signed = (plan.protocol_settings or {}).get(name)
    if signed is not None:
        return dict(signed)
    protocol = PROTOCOL_DEFAULTS.get(plan.protocol_key)
    if protocol is None:
        return None
    try:
        setting = protocol.setting(name)
    except KeyError:
        return None
    return protocol_setting_as_signed(setting)
