"""Steps the consultation tests share: a consultation filled in, and a failed antidepressant trial."""

from __future__ import annotations

from ketaclinic.intake.consultation_sections import HISTORY_FACTS
from ketaclinic.intake.services.consultation import consultation_start, consultation_update
from tests.steps import acting

ALL_NO = dict.fromkeys(HISTORY_FACTS, False) | {"has_escort_home": True}

FAILED_TRIAL = {
    "daily_dose_mg": "150",
    "weeks_at_dose": "8",
    "is_dose_adequate": True,
    "is_adherent": True,
    "is_current_episode": True,
    "outcome": "non_response",
}


def consultation_filled_in(prescriber, patient, **fields):  # type: ignore[no-untyped-def]
    """A consultation started and filled in with a clear history and calm blood pressure, unless changed."""
    consultation = consultation_start(actor=acting(prescriber), patient=patient)
    values = {
        "history": ALL_NO,
        "are_medications_reconciled": True,
        "medication_classes": [],
        "systolic_mmhg": 124,
        "diastolic_mmhg": 78,
    } | fields
    return consultation_update(actor=acting(prescriber), consultation=consultation, fields=values)
