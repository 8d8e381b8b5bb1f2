"""The wording a scale is shown in: bundled with it, or loaded by the organization under a licence."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction
from django.utils.translation import gettext as _

from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import audit_change_record
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.authorization import require
from ketaclinic.core import instruments as library
from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.permissions import Perm
from ketaclinic.measures.models import InstrumentWording
from ketaclinic.measures.services.responses import instrument_get
from ketaclinic.measures.wording import QuestionnaireText, bundled_text, loaded_text


def questionnaire_text(
    *, instrument: library.Instrument, organization_id: int, language: str
) -> QuestionnaireText | None:
    """The wording to show: bundled with the scale, else the newest the organization loaded."""
    bundled = bundled_text(instrument, language)
    if bundled is not None:
        return bundled
    loaded = (
        InstrumentWording.objects.filter(
            organization_id=organization_id, instrument_code=instrument.code, language=language
        )
        .order_by("-loaded_at")
        .first()
    )
    return loaded_text(loaded) if loaded else None


@transaction.atomic
def instrument_wording_load(
    *,
    actor: Actor,
    organization_id: int,
    center_id: int,
    instrument_code: str,
    language: str,
    item_texts: Mapping[int, str],
    instructions: str,
    licence_reference: str,
    option_labels: Mapping[int, Mapping[int, str]] | None = None,
) -> InstrumentWording:
    """Load licensed wording, or a validated translation, for a scale shipped without it."""
    require(actor, Perm.INSTRUMENT_WORDING_LOAD, center_id=center_id)
    instrument = instrument_get(instrument_code)
    if bundled_text(instrument, language) is not None:
        raise RuleViolation(_("This scale ships with its wording in this language."), code="wording_bundled")
    numbers = {item.number for item in instrument.items}
    missing = sorted(numbers - {n for n, text in item_texts.items() if text.strip()})
    if missing:
        items = ", ".join(map(str, missing))
        raise RuleViolation(_("Wording is missing for items %(items)s.") % {"items": items}, code="wording_incomplete")
    if not licence_reference.strip():
        raise RuleViolation(
            _("Name the licence that allows this wording."), code="licence_required", field="licence_reference"
        )
    wording = InstrumentWording.objects.create(
        organization_id=organization_id,
        instrument_code=instrument.code,
        language=language,
        instructions=instructions.strip(),
        item_texts={str(n): item_texts[n].strip() for n in sorted(numbers)},
        option_labels={
            str(item): {str(value): label for value, label in labels.items()}
            for item, labels in (option_labels or {}).items()
        },
        licence_reference=licence_reference.strip(),
        loaded_by=actor.user,
    )
    audit_change_record(
        actor=actor,
        instance=wording,
        action=AuditAction.INSTRUMENT_WORDING_LOADED,
        changes={
            "instrument_code": [None, instrument.code],
            "language": [None, language],
            "licence_reference": [None, wording.licence_reference],
        },
    )
    return wording
