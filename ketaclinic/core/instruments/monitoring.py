"""Summaries of repeated single-level ratings during a dosing session (MOAA/S, RASS)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.instruments.catalogue import load
from ketaclinic.core.instruments.definitions import Direction, SingleItemTotal
from ketaclinic.core.instruments.scoring import ScoreResult, score_instrument


@dataclass(frozen=True, slots=True)
class RatingCourse:
    """Timed ratings against the pre-dose level.

    ``worst_level`` is the nadir on a higher-is-better scale (MOAA/S) and the peak on a
    higher-is-worse one; ``None`` on a scale with no single direction (RASS).
    ``resolved`` means the latest rating raises no flag.
    """

    instrument_code: str
    pre_dose: int
    ratings: tuple[ScoreResult, ...]
    worst_level: int | None
    flags: tuple[str, ...]
    resolved: bool | None
    reasons: tuple[str, ...]


def rating_course(
    code: str,
    *,
    pre_dose: int,
    ratings: Sequence[int],
    settings: Mapping[str, object] | None = None,
) -> RatingCourse:
    """Score each timed level against ``pre_dose`` and summarise the session."""
    instrument = load(code)
    rule = instrument.total
    if not isinstance(rule, SingleItemTotal):
        raise RuleViolation(
            f"{instrument.short_name} is not a single-level observation scale.",
            code="not_a_single_level_scale",
        )
    pre = score_instrument(instrument, {rule.item: pre_dose}, settings)
    scored = tuple(
        score_instrument(instrument, {rule.item: level}, settings, baseline_total=pre_dose) for level in ratings
    )
    levels = [result.total for result in scored if result.total is not None]
    worst: int | None = None
    if levels and instrument.direction is Direction.HIGHER_IS_BETTER:
        worst = min(levels)
    elif levels and instrument.direction is Direction.HIGHER_IS_WORSE:
        worst = max(levels)
    flags = tuple(dict.fromkeys(flag for result in (pre, *scored) for flag in result.flags))
    resolved = None if not scored else not scored[-1].flags
    reasons = [f"Pre-dose level {pre_dose}; ratings {', '.join(map(str, ratings)) or 'none'}."]
    if worst is not None:
        reasons.append(f"Worst level {worst}.")
    if flags:
        reasons.append(f"Flags raised during the session: {', '.join(flags)}.")
    if resolved is not None:
        reasons.append(
            "Latest rating raises no flag: resolved."
            if resolved
            else f"Latest rating still raises: {', '.join(scored[-1].flags)}."
        )
    return RatingCourse(
        instrument_code=instrument.code,
        pre_dose=pre_dose,
        ratings=scored,
        worst_level=worst,
        flags=flags,
        resolved=resolved,
        reasons=tuple(reasons),
    )
