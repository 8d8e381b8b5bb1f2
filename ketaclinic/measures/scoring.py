"""Score a patient's answers with what the scale's cut-offs depend on: the patient's sex.

Every caller of the scorer in the apps goes through ``patient_score`` (staff entry, the
patient's link, the FHIR export), so a stored verdict and a re-scored one agree. No clinic
overrides of a scale's settings are stored yet; the scale's own defaults apply.
"""

from __future__ import annotations

from collections.abc import Mapping

from ketaclinic.core import instruments as library
from ketaclinic.patients.models import Patient, SexAtBirth

# Intersex is "other"; unknown, not disclosed or blank take the scale's sex-not-recorded
# cut-off (AUDIT-C: 3, the more sensitive published one; measures.md §2.8).
_SCORING_SEX: dict[str, library.Sex] = {
    SexAtBirth.MALE: library.Sex.MALE,
    SexAtBirth.FEMALE: library.Sex.FEMALE,
    SexAtBirth.INTERSEX: library.Sex.OTHER,
}


def scoring_sex(patient: Patient) -> library.Sex:
    return _SCORING_SEX.get(patient.sex_at_birth, library.Sex.UNKNOWN)


def patient_score(
    *, instrument: library.Instrument, answers: Mapping[int, int | None], patient: Patient
) -> library.ScoreResult:
    return library.score_instrument(instrument, answers, sex=scoring_sex(patient))
