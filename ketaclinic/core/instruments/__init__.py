"""Rating-scale instruments as data, and the engine that scores them.

Each ``<code>.yaml`` file in this package defines one instrument: items, answer options,
scoring rule, bands, critical items, LOINC codes, licence and sources (measures.md). Adding a
scale means adding a data file; the engine interprets a small declarative vocabulary and holds
no clinical numbers of its own.

>>> result = score("phq9", {1: 2, 2: 3, 3: 2, 4: 2, 5: 1, 6: 2, 7: 1, 8: 0, 9: 1})
>>> result.total, result.severity, result.flags
(14, 'moderate', ('phq9_item9_positive',))
"""

from __future__ import annotations

from collections.abc import Mapping

from ketaclinic.core.instruments.catalogue import (
    all_instruments,
    answers_from,
    instrument,
    instrument_codes,
    load,
)
from ketaclinic.core.instruments.conditions import SettingValue, Sex
from ketaclinic.core.instruments.definitions import (
    CompletedBy,
    Direction,
    Instrument,
    Item,
    LicenseClass,
    TextSource,
    Wording,
)
from ketaclinic.core.instruments.monitoring import RatingCourse, rating_course
from ketaclinic.core.instruments.response import (
    ChangeAssessment,
    OutcomeVerdict,
    assess_change,
)
from ketaclinic.core.instruments.schema import InstrumentDefinitionError, parse_instrument
from ketaclinic.core.instruments.scoring import (
    Completeness,
    ItemStatus,
    ScoreResult,
    score_instrument,
)

__all__ = [
    "ChangeAssessment",
    "CompletedBy",
    "Completeness",
    "Direction",
    "Instrument",
    "InstrumentDefinitionError",
    "Item",
    "ItemStatus",
    "LicenseClass",
    "OutcomeVerdict",
    "RatingCourse",
    "ScoreResult",
    "SettingValue",
    "Sex",
    "TextSource",
    "Wording",
    "all_instruments",
    "answers_from",
    "assess_change",
    "instrument",
    "instrument_codes",
    "load",
    "parse_instrument",
    "rating_course",
    "score",
    "score_instrument",
]


def score(
    code: str,
    answers: Mapping[int, int | None],
    settings: Mapping[str, object] | None = None,
    *,
    sex: Sex | str | None = None,
    baseline_total: int | None = None,
    version: str | None = None,
) -> ScoreResult:
    """Score one administration of instrument ``code``.

    ``answers`` maps the 1-based item number to the raw value of the option chosen, as the
    form presents it (yes = 1, no = 0), before any reverse scoring; an unanswered item may
    be absent or ``None``. ``settings`` overrides the instrument's clinic-configurable
    settings. ``sex`` selects sex-specific cut-offs, ``baseline_total`` (e.g. the pre-dose
    level) enables change-from-baseline rules, and ``version`` picks a form version.
    """
    return score_instrument(load(code), answers, settings, sex=sex, baseline_total=baseline_total, version=version)
