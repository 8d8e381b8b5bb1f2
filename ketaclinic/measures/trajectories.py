"""A patient's scores over time, per scale, with the verdicts shown beside each chart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ketaclinic.core import instruments as library
from ketaclinic.core.instruments.conditions import LiteralThreshold, SettingThreshold
from ketaclinic.measures.models import QuestionnaireResponse


@dataclass(slots=True)
class Trajectory:
    instrument: library.Instrument
    points: list[QuestionnaireResponse] = field(default_factory=list)
    change: library.ChangeAssessment | None = None

    @property
    def baseline(self) -> QuestionnaireResponse | None:
        return self.points[0] if self.points else None

    @property
    def latest(self) -> QuestionnaireResponse | None:
        return self.points[-1] if self.points else None

    @property
    def element_id(self) -> str:
        return f"trajectory-{self.instrument.code}"

    def chart_data(self, *, session_times: Iterable[dt.datetime] = (), time_zone: str) -> dict[str, Any]:
        """The JSON the vendored chart script draws (see static/js/trajectory.js)."""
        total_range = self.instrument.total_range
        assert total_range is not None
        bands = self.instrument.bands
        return {
            "title": self.instrument.short_name,
            "instrument": self.instrument.code,
            "min": total_range.minimum,
            "max": total_range.maximum,
            "higher_is_better": self.instrument.direction is library.Direction.HIGHER_IS_BETTER,
            "bands": [
                {"from": band.minimum, "to": band.maximum, "label": band.label}
                for band in (getattr(bands, "bands", ()) or ())
            ],
            "points": [
                {
                    "t": int(point.completed_at.timestamp() * 1000),
                    "total": point.total,
                    "label": f"{point.total} ({point.band_display or 'no band'})",
                }
                for point in self.points
                if point.completed_at is not None
            ],
            "baseline": (
                {"t": int(self.baseline.completed_at.timestamp() * 1000), "total": self.baseline.total}
                if self.baseline and self.baseline.completed_at
                else None
            ),
            "sessions": [{"t": int(at.timestamp() * 1000), "label": "Treatment session"} for at in session_times],
            "response_threshold": self._response_line(),
            "remission_threshold": self._remission_line(),
            "locale": "en-US",
            "time_zone": time_zone,
        }

    def _response_line(self) -> float | None:
        """The score a 50%-style response needs, drawn from the baseline (lower-is-better scales)."""
        outcomes = self.instrument.outcomes
        baseline = self.baseline
        if not outcomes or not outcomes.response or baseline is None or baseline.total is None:
            return None
        if self.instrument.direction is not library.Direction.HIGHER_IS_WORSE:
            return None
        percent = _threshold_value(self.instrument, outcomes.response.min_improvement_percent)
        return None if percent is None else baseline.total * (100 - percent) / 100

    def _remission_line(self) -> int | None:
        outcomes = self.instrument.outcomes
        if not outcomes:
            return None
        for definition in outcomes.remission:
            if definition.id == outcomes.default_remission:
                return _threshold_value(self.instrument, definition.max_total)
        return None


def _threshold_value(instrument: library.Instrument, threshold: object) -> int | None:
    if isinstance(threshold, LiteralThreshold):
        return threshold.value
    if isinstance(threshold, SettingThreshold):
        value = instrument.resolve_settings()[threshold.key]
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    return None


def trajectories_from(responses: Iterable[QuestionnaireResponse]) -> list[Trajectory]:
    """One trajectory per scale that has a total, in the order of the scales' first use."""
    by_code: dict[str, Trajectory] = {}
    for response in responses:
        if response.total is None:
            continue
        instrument = library.instrument(response.instrument_code)
        if not instrument.has_total:
            continue
        by_code.setdefault(response.instrument_code, Trajectory(instrument=instrument)).points.append(response)
    for trajectory in by_code.values():
        baseline, latest = trajectory.baseline, trajectory.latest
        if (
            baseline is not None
            and latest is not None
            and len(trajectory.points) > 1
            and trajectory.instrument.outcomes
        ):
            assert baseline.total is not None
            assert latest.total is not None
            trajectory.change = library.assess_change(trajectory.instrument.code, baseline.total, latest.total)
    return list(by_code.values())
