"""The wording an organization loaded for scales shipped without it."""

from __future__ import annotations

from ketaclinic.clinics.actors import Actor
from ketaclinic.measures.models import InstrumentWording


def instrument_wordings_loaded(*, actor: Actor, organization_id: int) -> dict[tuple[str, str], InstrumentWording]:
    """The newest loaded wording per (instrument, language) for an organization."""
    newest: dict[tuple[str, str], InstrumentWording] = {}
    for wording in InstrumentWording.objects.filter(organization_id=organization_id).order_by("-loaded_at"):
        newest.setdefault((wording.instrument_code, wording.language), wording)
    return newest
