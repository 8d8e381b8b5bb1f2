from __future__ import annotations

import re
from dataclasses import fields, replace
from typing import Any

import pytest

from ketaclinic.core.eligibility import (
    RULE_SET,
    RULE_SET_VERSION,
    RULES,
    AuditCPositive,
    BloodPressureAtLeast,
    ConsultationFacts,
    EligibilityEvaluation,
    EligibilityRule,
    EligibilitySettings,
    Exceeds,
    HasDiagnosisCode,
    IsFalse,
    IsTrue,
    MedicationClass,
    Route,
    RuleKind,
    RuleSet,
    Sex,
    TakesMedication,
    evaluate,
)
from ketaclinic.core.errors import RuleViolation
from tests.core.steps import CLEAR

# One consultation per rule in which that rule fires; every rule must have one.
FIRING: dict[str, dict[str, Any]] = {
    "ESK-CI-ANEURYSM": {"has_aneurysmal_vascular_disease": True},
    "ESK-CI-AVM": {"has_arteriovenous_malformation": True},
    "ESK-CI-ICH": {"has_history_of_intracerebral_hemorrhage": True},
    "ALL-CI-HYPERSENS": {"is_hypersensitive_to_ketamine_or_esketamine": True},
    "KET-CI-BP-HAZARD": {"has_recent_stroke": True},
    "ALL-REL-HTN": {"baseline_systolic_mmhg": 150, "baseline_diastolic_mmhg": 95},
    "ALL-REL-CARDIAC": {"has_heart_failure": True},
    "ALL-REL-PSYCHOSIS": {"has_psychotic_features": True},
    "ALL-REL-MANIA": {"has_bipolar_disorder_or_mania_history": True},
    "ALL-REL-SUD": {"dast10_total": 4},
    "ALL-REL-ICP": {"has_recent_head_injury": True},
    "ALL-REL-PREG": {"is_breastfeeding": True},
    "ALL-CAU-LIVER": {"has_moderate_or_severe_hepatic_impairment": True},
    "ALL-CAU-BLADDER": {"has_lower_urinary_tract_symptoms": True},
    "ALL-CAU-RESP": {"has_sleep_apnea": True},
    "INT-THEOPHYLLINE": {"current_medication_classes": frozenset({MedicationClass.THEOPHYLLINE_OR_AMINOPHYLLINE})},
    "ALL-CAU-AGE": {"age_years": 72},
    "ALL-CAU-DRIVING": {"has_escort_home": False},
    "INT-BENZO": {"current_medication_classes": frozenset({MedicationClass.BENZODIAZEPINE})},
    "INT-LAMOTRIGINE": {"current_medication_classes": frozenset({MedicationClass.LAMOTRIGINE})},
    "INT-STIM": {"current_medication_classes": frozenset({MedicationClass.PSYCHOSTIMULANT})},
    "INT-MAOI": {"current_medication_classes": frozenset({MedicationClass.MAO_INHIBITOR})},
    "INT-CNS-DEP": {"current_medication_classes": frozenset({MedicationClass.OPIOID})},
}

# The ids of the demo rule table in eligibility.md, in its order.
ELIGIBILITY_MD_IDS = (
    "ESK-CI-ANEURYSM",
    "ESK-CI-AVM",
    "ESK-CI-ICH",
    "ALL-CI-HYPERSENS",
    "KET-CI-BP-HAZARD",
    "ALL-REL-HTN",
    "ALL-REL-CARDIAC",
    "ALL-REL-PSYCHOSIS",
    "ALL-REL-MANIA",
    "ALL-REL-SUD",
    "ALL-REL-ICP",
    "ALL-REL-PREG",
    "ALL-CAU-LIVER",
    "ALL-CAU-BLADDER",
    "ALL-CAU-RESP",
    "INT-THEOPHYLLINE",
    "ALL-CAU-AGE",
    "ALL-CAU-DRIVING",
    "INT-BENZO",
    "INT-LAMOTRIGINE",
    "INT-STIM",
    "INT-MAOI",
    "INT-CNS-DEP",
)

RULE_ROUTES = [pytest.param(rule, route, id=f"{rule.id}-{route}") for rule in RULES for route in sorted(rule.routes)]


def _rule(rule_id: str) -> EligibilityRule:
    return next(rule for rule in RULES if rule.id == rule_id)


def _finding_ids(result: EligibilityEvaluation) -> set[str]:
    return {finding.rule_id for finding in result.findings}


def _triggers(condition: object) -> list[dict[str, Any]]:
    """Fact changes that make one condition fire on its own."""
    defaults = EligibilitySettings()
    match condition:
        case IsTrue(fact=fact):
            return [{fact: True}]
        case IsFalse(fact=fact):
            return [{fact: False}]
        case Exceeds(fact=fact, setting=setting, inclusive=inclusive):
            limit = getattr(defaults, setting)
            return [{fact: limit if inclusive else limit + 1}]
        case BloodPressureAtLeast(systolic_setting=systolic, diastolic_setting=diastolic):
            return [
                {"baseline_systolic_mmhg": getattr(defaults, systolic)},
                {"baseline_diastolic_mmhg": getattr(defaults, diastolic)},
            ]
        case AuditCPositive():
            return [{"audit_c_total": 4, "sex": Sex.MALE}, {"audit_c_total": 3, "sex": None}]
        case TakesMedication(classes=classes):
            return [{"current_medication_classes": frozenset({c})} for c in sorted(classes)]
        case HasDiagnosisCode(prefixes=prefixes):
            return [{"diagnosis_codes": frozenset({f"{p}9"})} for p in prefixes]
    raise AssertionError(f"no trigger for {condition!r}")


CONDITION_TRIGGERS = [
    pytest.param(rule, change, id=f"{rule.id}-{'-'.join(map(str, change))}")
    for rule in RULES
    for condition in rule.any_of
    for change in _triggers(condition)
]

FACT_READS = [
    pytest.param(rule, fact, id=f"{rule.id}-{fact}")
    for rule in RULES
    for fact in rule.facts
    if fact != "diagnosis_codes"
]


# --- the rule table -----------------------------------------------------------------------------


def test_rules_every_rule_has_a_firing_example():
    """The firing examples cover exactly the rule table, so a new rule needs one."""
    assert set(FIRING) == {rule.id for rule in RULES}


def test_rules_match_the_eligibility_reference_table():
    """The shipped rule ids are the demo rule set of eligibility.md, in its order."""
    assert tuple(rule.id for rule in RULES) == ELIGIBILITY_MD_IDS


def test_rules_ids_are_unique():
    """No two rules share an id."""
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))


def test_rule_set_refuses_duplicate_ids():
    """A rule set with a repeated id cannot be built."""
    with pytest.raises(ValueError, match="unique"):
        RuleSet(version="clinic-1", rules=(RULES[0], RULES[0]))


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_rules_each_has_explanation_source_kind_and_routes(rule):
    """Every rule has an id, plain explanation, criteria, a source, a valid kind and routes."""
    assert re.fullmatch(r"[A-Z]+(-[A-Z]+)+", rule.id)
    assert rule.explanation.strip()
    assert rule.criteria.strip()
    assert rule.source.strip()
    assert isinstance(rule.kind, RuleKind)
    assert rule.routes
    assert all(isinstance(route, Route) for route in rule.routes)
    assert rule.version >= 1
    assert rule.any_of
    if not rule.is_source_confirmed:
        assert rule.source_note.strip()


def test_rules_label_contraindications_differ_per_route():
    """Esketamine vascular contraindications are esketamine-only; the BP-hazard one is ketamine-only."""
    for rule_id in ("ESK-CI-ANEURYSM", "ESK-CI-AVM", "ESK-CI-ICH"):
        assert _rule(rule_id).routes == {Route.ESKETAMINE_NASAL_SPRAY}
    assert _rule("KET-CI-BP-HAZARD").routes == {Route.IV, Route.IM, Route.ORAL_SUBLINGUAL}
    assert _rule("ALL-CI-HYPERSENS").routes == set(Route)


def test_rules_kinds_follow_eligibility_reference():
    """Kinds are as eligibility.md gives them, including mania as a caution."""
    assert _rule("ESK-CI-ANEURYSM").kind is RuleKind.ABSOLUTE
    assert _rule("ALL-REL-HTN").kind is RuleKind.RELATIVE
    assert _rule("ALL-REL-MANIA").kind is RuleKind.CAUTION
    assert _rule("INT-MAOI").kind is RuleKind.INTERACTION


# --- each rule fires and does not fire ----------------------------------------------------------


@pytest.mark.parametrize(("rule", "route"), RULE_ROUTES)
def test_evaluate_rule_fires_on_its_example(rule, route):
    """Each rule fires on its example for every route it covers, with evidence and source."""
    facts = replace(CLEAR, **FIRING[rule.id])
    result = evaluate(facts, route)
    finding = next(f for f in result.findings if f.rule_id == rule.id)
    assert finding.kind is rule.kind
    assert finding.source == rule.source
    assert finding.explanation == rule.explanation
    assert finding.rule_version == rule.version
    assert finding.evidence
    assert set(finding.evidence) <= set(FIRING[rule.id])
    assert finding.reasons


@pytest.mark.parametrize(("rule", "route"), RULE_ROUTES)
def test_evaluate_rule_does_not_fire_on_clear_facts(rule, route):
    """Each rule is evaluated and stays quiet when every fact it reads is clear."""
    result = evaluate(CLEAR, route)
    assert rule.id in result.not_fired
    assert rule.id not in _finding_ids(result)


@pytest.mark.parametrize(("rule", "change"), CONDITION_TRIGGERS)
def test_evaluate_each_condition_of_a_rule_fires_it(rule, change):
    """Every listed condition of a rule is enough on its own to fire it."""
    route = sorted(rule.routes)[0]
    assert rule.id in _finding_ids(evaluate(replace(CLEAR, **change), route))


def test_evaluate_clear_facts_give_no_findings_on_any_route():
    """A fully recorded, unremarkable consultation gives no findings and nothing unassessed."""
    for route in Route:
        result = evaluate(CLEAR, route)
        assert result.findings == ()
        assert result.not_assessed == ()


# --- unknown facts ------------------------------------------------------------------------------


@pytest.mark.parametrize(("rule", "fact"), FACT_READS)
def test_evaluate_unknown_fact_is_not_assessed(rule, fact):
    """A rule reading an unrecorded fact is listed as not assessed, naming the fact."""
    route = sorted(rule.routes)[0]
    unknown: dict[str, Any] = {fact: None}
    result = evaluate(replace(CLEAR, **unknown), route)
    assert rule.id not in result.not_fired
    assert rule.id not in _finding_ids(result)
    not_assessed = next(n for n in result.not_assessed if n.rule_id == rule.id)
    assert fact in not_assessed.missing_facts
    assert not_assessed.kind is rule.kind
    assert not_assessed.source == rule.source


def test_evaluate_nothing_recorded_leaves_every_rule_not_assessed():
    """With no facts at all, no rule fires or passes: all are not assessed."""
    for route in Route:
        result = evaluate(ConsultationFacts(), route)
        assert result.findings == ()
        assert result.not_fired == ()
        expected = {rule.id for rule in RULES if route in rule.routes}
        assert {n.rule_id for n in result.not_assessed} == expected


def test_evaluate_known_trigger_fires_despite_other_unknowns():
    """One recorded trigger fires the rule even when its other facts are unknown."""
    result = evaluate(ConsultationFacts(baseline_systolic_mmhg=160), Route.IV)
    finding = next(f for f in result.findings if f.rule_id == "ALL-REL-HTN")
    assert finding.evidence == {"baseline_systolic_mmhg": 160}


def test_evaluate_unknown_sex_uses_the_sensitive_audit_c_cut_off():
    """AUDIT-C 3 with sex unrecorded is positive (measures.md: unknown uses 3)."""
    result = evaluate(replace(CLEAR, sex=None, audit_c_total=3), Route.IV)
    assert "ALL-REL-SUD" in _finding_ids(result)


def test_evaluate_empty_diagnosis_list_does_not_block_assessment():
    """Diagnosis codes can raise a finding but their absence never makes a rule unknown."""
    result = evaluate(replace(CLEAR, diagnosis_codes=frozenset()), Route.IV)
    assert "ALL-REL-MANIA" in result.not_fired


# --- thresholds and settings --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "fires"),
    [
        ({"baseline_systolic_mmhg": 140}, False),
        ({"baseline_systolic_mmhg": 141}, True),
        ({"baseline_diastolic_mmhg": 90}, False),
        ({"baseline_diastolic_mmhg": 91}, True),
    ],
)
def test_evaluate_blood_pressure_boundary_is_above_140_over_90(change, fires):
    """Blood pressure fires only above 140 systolic or 90 diastolic."""
    assert ("ALL-REL-HTN" in _finding_ids(evaluate(replace(CLEAR, **change), Route.IV))) is fires


@pytest.mark.parametrize(("age", "fires"), [(64, False), (65, True)])
def test_evaluate_age_boundary_is_65(age, fires):
    """The older-adult caution starts at 65."""
    result = evaluate(replace(CLEAR, age_years=age), Route.ESKETAMINE_NASAL_SPRAY)
    assert ("ALL-CAU-AGE" in _finding_ids(result)) is fires


@pytest.mark.parametrize(
    ("change", "fires"),
    [
        ({"dast10_total": 2}, False),
        ({"dast10_total": 3}, True),
        ({"audit_c_total": 3, "sex": Sex.MALE}, False),
        ({"audit_c_total": 4, "sex": Sex.MALE}, True),
        ({"audit_c_total": 2, "sex": Sex.FEMALE}, False),
        ({"audit_c_total": 3, "sex": Sex.FEMALE}, True),
        ({"audit_c_total": 3, "sex": Sex.OTHER}, True),
    ],
)
def test_evaluate_substance_use_screen_cut_offs(change, fires):
    """DAST-10 >= 3 and sex-specific AUDIT-C cut-offs fire the substance use rule."""
    result = evaluate(replace(CLEAR, **change), Route.IV)
    assert ("ALL-REL-SUD" in _finding_ids(result)) is fires


def test_evaluate_thresholds_come_from_settings():
    """A clinic's settings move the thresholds, and the evaluation records them."""
    settings = EligibilitySettings(systolic_above_mmhg=150, older_adult_age_years=70)
    facts = replace(CLEAR, baseline_systolic_mmhg=145, age_years=68)
    result = evaluate(facts, Route.IV, settings)
    assert _finding_ids(result) == set()
    assert result.settings is settings
    assert "ALL-REL-HTN" in _finding_ids(evaluate(facts, Route.IV))


def test_evaluate_finding_reasons_name_the_threshold_setting():
    """The reason states the value, the threshold and which setting it came from."""
    result = evaluate(replace(CLEAR, baseline_systolic_mmhg=150), Route.IV)
    finding = next(f for f in result.findings if f.rule_id == "ALL-REL-HTN")
    assert finding.reasons == ("baseline_systolic_mmhg 150 mmHg > 140 mmHg (setting systolic_above_mmhg)",)


def test_evaluate_unconfirmed_rule_can_be_disabled_and_is_listed():
    """A rule with an unconfirmed source can be switched off; it is then listed as disabled."""
    settings = EligibilitySettings(disabled_rule_ids=frozenset({"INT-LAMOTRIGINE"}))
    result = evaluate(replace(CLEAR, **FIRING["INT-LAMOTRIGINE"]), Route.IV, settings)
    assert "INT-LAMOTRIGINE" not in _finding_ids(result)
    assert result.disabled == ("INT-LAMOTRIGINE",)


@pytest.mark.parametrize(
    ("rule_id", "message"),
    [
        ("ESK-CI-ANEURYSM", "cannot be switched off"),
        ("INT-BENZO", "cannot be switched off"),
        ("NO-SUCH-RULE", "No eligibility rule"),
    ],
)
def test_evaluate_refuses_to_disable_confirmed_or_unknown_rules(rule_id, message):
    """Confirmed rules and unknown ids cannot be switched off."""
    settings = EligibilitySettings(disabled_rule_ids=frozenset({rule_id}))
    with pytest.raises(ValueError, match=message) as raised:
        evaluate(CLEAR, Route.IV, settings)
    assert isinstance(raised.value, RuleViolation)


# --- routes, codes and the shape of the result --------------------------------------------------


def test_evaluate_filters_rules_by_route():
    """Esketamine-only rules are not run for IV, and ketamine-only ones not for esketamine."""
    iv = evaluate(CLEAR, Route.IV)
    esketamine = evaluate(CLEAR, Route.ESKETAMINE_NASAL_SPRAY)
    assert set(iv.not_for_route) == {"ESK-CI-ANEURYSM", "ESK-CI-AVM", "ESK-CI-ICH"}
    assert esketamine.not_for_route == ("KET-CI-BP-HAZARD",)


def test_evaluate_aneurysm_is_absolute_on_every_route_by_its_own_rule():
    """An aneurysm fires the Spravato rule for esketamine and the BP-hazard rule for IV."""
    facts = replace(CLEAR, has_aneurysmal_vascular_disease=True)
    assert _finding_ids(evaluate(facts, Route.ESKETAMINE_NASAL_SPRAY)) == {"ESK-CI-ANEURYSM"}
    assert _finding_ids(evaluate(facts, Route.IV)) == {"KET-CI-BP-HAZARD"}


@pytest.mark.parametrize(
    ("code", "rule_id"),
    [(" f31.1 ", "ALL-REL-MANIA"), ("F33.3", "ALL-REL-PSYCHOSIS"), ("F20.9", "ALL-REL-PSYCHOSIS")],
)
def test_evaluate_diagnosis_codes_raise_findings(code, rule_id):
    """Bipolar and psychotic ICD-10-CM codes fire their rules, whatever the spacing or case."""
    result = evaluate(replace(CLEAR, diagnosis_codes=frozenset({code})), Route.IV)
    assert rule_id in _finding_ids(result)


def test_evaluate_reports_only_matching_medication_classes_as_evidence():
    """Interaction evidence lists the classes that matched, not the whole medication list."""
    classes = frozenset({MedicationClass.OPIOID, MedicationClass.MAO_INHIBITOR})
    result = evaluate(replace(CLEAR, current_medication_classes=classes), Route.IV)
    by_id = {f.rule_id: f for f in result.findings}
    assert by_id["INT-CNS-DEP"].evidence == {"current_medication_classes": ("opioid",)}
    assert by_id["INT-MAOI"].evidence == {"current_medication_classes": ("mao_inhibitor",)}


def test_evaluate_records_rule_set_version_and_accounts_for_every_rule():
    """Every rule lands in exactly one bucket, and the rule-set version is recorded."""
    facts = replace(CLEAR, is_pregnant=True, has_sleep_apnea=None)
    result = evaluate(facts, Route.IM)
    assert result.rule_set_version == RULE_SET_VERSION == RULE_SET.version
    buckets = [
        *(f.rule_id for f in result.findings),
        *result.not_fired,
        *(n.rule_id for n in result.not_assessed),
        *result.not_for_route,
        *result.disabled,
    ]
    assert sorted(buckets) == sorted(rule.id for rule in RULES)


def test_evaluate_lists_relative_findings_needing_written_justification():
    """Relative findings are the ones the clinician must justify in writing."""
    facts = replace(CLEAR, is_pregnant=True, age_years=70, has_aneurysmal_vascular_disease=True)
    result = evaluate(facts, Route.ESKETAMINE_NASAL_SPRAY)
    assert [f.rule_id for f in result.needing_written_justification] == ["ALL-REL-PREG"]


def test_evaluate_gives_no_eligibility_verdict():
    """The result holds findings only: there is no eligible/ineligible field."""
    names = {f.name for f in fields(EligibilityEvaluation)}
    assert not {name for name in names if "eligible" in name or "verdict" in name}


def test_consultation_facts_refuse_negative_counts():
    """A negative age or score is a data-entry error."""
    with pytest.raises(ValueError, match="cannot be negative"):
        ConsultationFacts(age_years=-1)
