from __future__ import annotations

from ketaclinic.core.instruments import instrument, score
from ketaclinic.core.instruments.risk import RiskKind, risk_findings


def findings(code: str, answers: dict[int, int | None]):  # type: ignore[no-untyped-def]
    return risk_findings(instrument(code), score(code, answers))


def test_phq9_item_9_above_zero_raises_a_finding_that_quotes_the_answer():
    (finding,) = findings("phq9", {1: 2, 2: 3, 3: 2, 4: 2, 5: 1, 6: 2, 7: 1, 8: 0, 9: 1})
    assert (finding.kind, finding.flag, finding.level) == (RiskKind.POSITIVE, "phq9_item9_positive", "urgent")
    assert "item 9" in finding.reason
    assert "'Several days' [1]" in finding.reason


def test_phq9_item_9_at_zero_raises_nothing():
    assert findings("phq9", {n: 1 for n in range(1, 9)} | {9: 0}) == ()


def test_phq9_with_item_9_unanswered_is_a_finding_even_without_a_total():
    (finding,) = findings("phq9", {1: 0, 2: 0})
    assert finding.kind is RiskKind.UNANSWERED
    assert "unanswered" in finding.reason


def test_a_positive_cssrs_screener_raises_a_finding_with_the_positive_answers_only():
    (finding,) = findings("cssrs_screener", {1: 1, 2: 1, 3: 1, 4: 0, 5: 0, 6: 0})
    assert finding.flag == "cssrs_risk_moderate"
    assert [a.item for a in finding.answers] == ["3"]


def test_a_negative_cssrs_screener_raises_nothing():
    assert findings("cssrs_screener", {1: 0, 2: 0, 6: 0}) == ()


def test_flags_on_non_safety_items_raise_no_risk_finding():
    """WHO-5's low well-being flag is a screen result, not a suicide-risk alert."""
    result = score("who5", {1: 0, 2: 0, 3: 0, 4: 0, 5: 0})
    assert result.flags
    assert risk_findings(instrument("who5"), result) == ()
