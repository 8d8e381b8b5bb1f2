"""Contraindication, caution and interaction rules over a consultation, as cited data.

The software never decides who is treated. :func:`evaluate` lists what fired (with the facts
that fired it), what was checked and did not fire, and what could not be checked because a
fact is unknown. ``None`` on :class:`ConsultationFacts` means "not recorded", and a rule that
depends on an unrecorded fact is reported as not assessed, never passed. The clinician makes
the decision and writes the justification for accepting any relative contraindication.

Rule content follows the ketaclinic clinical reference (eligibility.md, demo rule set). Rule
ids are stable; a change to a rule bumps its ``version`` and :data:`RULE_SET_VERSION`, so an
old evaluation keeps the rules it was made under. Thresholds live in
:class:`EligibilitySettings`, which the evaluation records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from enum import StrEnum
from importlib import resources
from typing import ClassVar, Final

import yaml

from ketaclinic.core.dosing import Route
from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.instruments.conditions import Sex as _InstrumentSex

__all__ = [
    "ALL_ROUTES",
    "ELIGIBILITY_THRESHOLDS",
    "ESKETAMINE_ROUTES",
    "KETAMINE_ROUTES",
    "RULES",
    "RULE_SET",
    "RULE_SET_VERSION",
    "ConsultationFacts",
    "EligibilityEvaluation",
    "EligibilityFinding",
    "EligibilityRule",
    "EligibilitySettings",
    "EligibilitySettingsError",
    "EligibilityThreshold",
    "MedicationClass",
    "NotAssessed",
    "Route",
    "RuleKind",
    "RuleSet",
    "Sex",
    "evaluate",
]

RULE_SET_VERSION: Final = "eligibility-demo-2026.2"


class RuleKind(StrEnum):
    """How a finding weighs, as eligibility.md distinguishes them."""

    ABSOLUTE = "absolute"  # label contraindication
    RELATIVE = "relative"  # needs a written justification to proceed
    CAUTION = "caution"  # shown; no justification needed
    INTERACTION = "interaction"


# Sex as the AUDIT-C cut-offs use it (measures.md 2.8): the instruments' own enum, not a copy.
Sex = _InstrumentSex


class MedicationClass(StrEnum):
    """Interaction classes the rules read; the medication list maps each drug to these."""

    BENZODIAZEPINE = "benzodiazepine"
    NON_BENZODIAZEPINE_SEDATIVE_HYPNOTIC = "non_benzodiazepine_sedative_hypnotic"
    OPIOID = "opioid"
    SEDATING_ANTIHISTAMINE = "sedating_antihistamine"
    OTHER_CNS_DEPRESSANT = "other_cns_depressant"
    PSYCHOSTIMULANT = "psychostimulant"  # amphetamine, methylphenidate, modafinil
    MAO_INHIBITOR = "mao_inhibitor"
    LAMOTRIGINE = "lamotrigine"
    THEOPHYLLINE_OR_AMINOPHYLLINE = "theophylline_or_aminophylline"


ALL_ROUTES: Final = frozenset(Route)
KETAMINE_ROUTES: Final = frozenset({Route.IV, Route.IM, Route.ORAL_SUBLINGUAL})
ESKETAMINE_ROUTES: Final = frozenset({Route.ESKETAMINE_NASAL_SPRAY})


@dataclass(frozen=True, slots=True)
class EligibilityThreshold:
    """A threshold from rules/eligibility_thresholds.yaml, with its source."""

    name: str
    value: int
    unit: str
    meaning: str
    source: str
    is_confirmed: bool
    note: str


def _load_thresholds() -> tuple[str, Mapping[str, EligibilityThreshold]]:
    text = resources.files("ketaclinic.core").joinpath("rules/eligibility_thresholds.yaml").read_text("utf-8")
    document = yaml.safe_load(text)
    thresholds = {
        str(item["name"]): EligibilityThreshold(
            name=str(item["name"]),
            value=int(item["value"]),
            unit=str(item["unit"]),
            meaning=str(item["meaning"]),
            source=" ".join(str(item["source"]).split()),
            is_confirmed=bool(item["confirmed"]),
            note=" ".join(str(item.get("note") or "").split()),
        )
        for item in document["thresholds"]
    }
    return str(document["version"]), thresholds


ELIGIBILITY_THRESHOLDS_VERSION, ELIGIBILITY_THRESHOLDS = _load_thresholds()


class EligibilitySettingsError(RuleViolation, ValueError):
    """Settings name an unknown rule or try to switch off a confirmed one."""


@dataclass(frozen=True, slots=True)
class ConsultationFacts:
    """What the consultation recorded; ``None`` = not recorded (unknown), never "no"."""

    age_years: int | None = None
    # The day the age was computed for, and the day of the BP reading and of each screen:
    # only shown in a finding's reasons, so the clinician sees which value fired it.
    age_on: dt.date | None = None
    sex: Sex | None = None
    baseline_systolic_mmhg: int | None = None
    baseline_diastolic_mmhg: int | None = None
    baseline_bp_measured_on: dt.date | None = None

    # Vascular conditions the Spravato label names as contraindications.
    has_aneurysmal_vascular_disease: bool | None = None
    has_arteriovenous_malformation: bool | None = None
    has_history_of_intracerebral_hemorrhage: bool | None = None
    is_hypersensitive_to_ketamine_or_esketamine: bool | None = None

    # The ketamine label's test: would a significant BP rise be a serious hazard?
    bp_rise_would_be_serious_hazard: bool | None = None
    has_recent_myocardial_infarction: bool | None = None
    has_recent_stroke: bool | None = None
    has_severe_uncontrolled_hypertension: bool | None = None
    has_aortic_dissection: bool | None = None

    has_uncontrolled_hypertension: bool | None = None
    has_unstable_angina: bool | None = None
    has_significant_arrhythmia: bool | None = None
    has_heart_failure: bool | None = None
    has_history_of_stroke: bool | None = None

    has_psychotic_disorder: bool | None = None  # current or past
    has_psychotic_features: bool | None = None
    has_bipolar_disorder_or_mania_history: bool | None = None

    has_current_substance_use_disorder: bool | None = None
    has_history_of_ketamine_or_pcp_misuse: bool | None = None
    dast10_total: int | None = None
    dast10_completed_on: dt.date | None = None
    audit_c_total: int | None = None
    audit_c_completed_on: dt.date | None = None
    drinks_alcohol: bool | None = None

    has_raised_intracranial_pressure: bool | None = None
    has_recent_head_injury: bool | None = None
    has_intracranial_mass: bool | None = None

    is_pregnant: bool | None = None
    is_planning_pregnancy: bool | None = None
    is_breastfeeding: bool | None = None

    has_moderate_or_severe_hepatic_impairment: bool | None = None
    has_ulcerative_or_interstitial_cystitis: bool | None = None
    has_lower_urinary_tract_symptoms: bool | None = None
    has_sleep_apnea: bool | None = None
    has_severe_lung_disease: bool | None = None

    has_escort_home: bool | None = None
    must_drive_same_day: bool | None = None

    # None = medication reconciliation not done; an empty set = reconciled, none of these.
    current_medication_classes: frozenset[MedicationClass] | None = None
    # ICD-10-CM codes on record. A code can raise a finding, but an empty list cannot clear
    # one: no F31 code does not mean no bipolar disorder.
    diagnosis_codes: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for name in ("age_years", "dast10_total", "audit_c_total"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} cannot be negative (got {value}).")
        codes = frozenset(code.strip().upper() for code in self.diagnosis_codes)
        object.__setattr__(self, "diagnosis_codes", codes)


@dataclass(frozen=True, slots=True)
class EligibilitySettings:
    """Clinic-configurable thresholds; each default says where it came from."""

    # Spravato label: weigh the risk when pre-dose BP is above 140/90 (protocols.md 4).
    systolic_above_mmhg: int = 140
    diastolic_above_mmhg: int = 90
    # Spravato US label geriatric use; EU SmPC starts patients 65 and over at 28 mg.
    older_adult_age_years: int = 65
    # eligibility.md ALL-REL-SUD: DAST-10 >= 3 (the "moderate" band, measures.md 2.9).
    dast10_at_least: int = 3
    # AUDIT-C positive screen (measures.md 2.8): men >= 4, women >= 3; unknown or other sex
    # uses 3, the more sensitive cut-off (project default).
    audit_c_men_at_least: int = 4
    audit_c_women_at_least: int = 3
    audit_c_other_or_unknown_sex_at_least: int = 3
    # Severe hypertension read from the consultation's BP (KET-CI-BP-HAZARD), and drinking read
    # from the AUDIT-C (INT-CNS-DEP): defaults and sources in rules/eligibility_thresholds.yaml.
    severe_systolic_at_least_mmhg: int = ELIGIBILITY_THRESHOLDS["severe_systolic_at_least_mmhg"].value
    severe_diastolic_at_least_mmhg: int = ELIGIBILITY_THRESHOLDS["severe_diastolic_at_least_mmhg"].value
    audit_c_drinks_alcohol_at_least: int = ELIGIBILITY_THRESHOLDS["audit_c_drinks_alcohol_at_least"].value
    # Rules whose source is unconfirmed may be switched off by the medical director; they
    # are then listed as disabled in every evaluation, never dropped silently.
    disabled_rule_ids: frozenset[str] = frozenset()


_FACT_NAMES: Final = frozenset(f.name for f in fields(ConsultationFacts))
_SETTING_NAMES: Final = frozenset(f.name for f in fields(EligibilitySettings))

type EvidenceValue = bool | int | str | tuple[str, ...]


def _on(day: dt.date | None) -> str:
    return f" on {day.isoformat()}" if day is not None else ""


@dataclass(frozen=True, slots=True)
class _Check:
    """Three-valued result of one condition: fired, did not fire, or unknown."""

    fired: bool | None
    evidence: tuple[tuple[str, EvidenceValue], ...] = ()
    reasons: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


_NOT_FIRED: Final = _Check(fired=False)


def _fact(name: str) -> str:
    # Conditions name facts as strings so findings can report them; catch typos at import.
    if name not in _FACT_NAMES:
        raise ValueError(f"ConsultationFacts has no field {name!r}.")
    return name


def _unknown(name: str) -> _Check:
    return _Check(fired=None, missing=(name,))


@dataclass(frozen=True, slots=True)
class _YesNo:
    """Fires when a yes/no fact has the answer ``fires_on`` (IsTrue: yes, IsFalse: no)."""

    fact: str
    fires_on: ClassVar[bool]

    def __post_init__(self) -> None:
        _fact(self.fact)

    @property
    def facts(self) -> tuple[str, ...]:
        return (self.fact,)

    def check(self, facts: ConsultationFacts, settings: EligibilitySettings) -> _Check:
        value = getattr(facts, self.fact)
        if value is None:
            return _unknown(self.fact)
        if bool(value) is self.fires_on:
            return _Check(True, ((self.fact, self.fires_on),), (f"{self.fact}: {'yes' if self.fires_on else 'no'}",))
        return _NOT_FIRED


@dataclass(frozen=True, slots=True)
class IsTrue(_YesNo):
    fires_on = True


@dataclass(frozen=True, slots=True)
class IsFalse(_YesNo):
    fires_on = False


@dataclass(frozen=True, slots=True)
class Exceeds:
    """Fires when the fact is above (or, with ``inclusive``, at) a settings threshold."""

    fact: str
    setting: str
    unit: str
    inclusive: bool
    # A date fact saying when the value was measured, shown in the reason.
    on_fact: str | None = None
    # What reaching the threshold means, where the setting's name does not say it.
    meaning: str = ""

    def __post_init__(self) -> None:
        _fact(self.fact)
        if self.on_fact is not None:
            _fact(self.on_fact)
        if self.setting not in _SETTING_NAMES:
            raise ValueError(f"EligibilitySettings has no field {self.setting!r}.")

    @property
    def facts(self) -> tuple[str, ...]:
        return (self.fact,)

    def check(self, facts: ConsultationFacts, settings: EligibilitySettings) -> _Check:
        value = getattr(facts, self.fact)
        if value is None:
            return _unknown(self.fact)
        limit: int = getattr(settings, self.setting)
        fired = value >= limit if self.inclusive else value > limit
        if not fired:
            return _NOT_FIRED
        sign = ">=" if self.inclusive else ">"
        on = _on(getattr(facts, self.on_fact)) if self.on_fact is not None else ""
        meaning = f": {self.meaning}" if self.meaning else ""
        reason = f"{self.fact} {value}{self.unit}{on} {sign} {limit}{self.unit} (setting {self.setting}{meaning})"
        return _Check(True, ((self.fact, value),), (reason,))


@dataclass(frozen=True, slots=True)
class BloodPressureAtLeast:
    """Fires when the consultation's systolic or diastolic reading reaches a category's limit.

    Either reading is enough on its own; a missing reading that could still reach the limit
    leaves the condition unknown, never passed.
    """

    systolic_setting: str
    diastolic_setting: str
    category: str

    def __post_init__(self) -> None:
        for setting in (self.systolic_setting, self.diastolic_setting):
            if setting not in _SETTING_NAMES:
                raise ValueError(f"EligibilitySettings has no field {setting!r}.")

    @property
    def facts(self) -> tuple[str, ...]:
        return ("baseline_systolic_mmhg", "baseline_diastolic_mmhg")

    def check(self, facts: ConsultationFacts, settings: EligibilitySettings) -> _Check:
        systolic, diastolic = facts.baseline_systolic_mmhg, facts.baseline_diastolic_mmhg
        systolic_limit: int = getattr(settings, self.systolic_setting)
        diastolic_limit: int = getattr(settings, self.diastolic_setting)
        if (systolic is not None and systolic >= systolic_limit) or (
            diastolic is not None and diastolic >= diastolic_limit
        ):
            reading = f"{'?' if systolic is None else systolic}/{'?' if diastolic is None else diastolic}"
            reason = (
                f"BP {reading}{_on(facts.baseline_bp_measured_on)} is at or above "
                f"{systolic_limit}/{diastolic_limit} ({self.category})"
            )
            evidence = tuple(
                (name, value)
                for name, value in (("baseline_systolic_mmhg", systolic), ("baseline_diastolic_mmhg", diastolic))
                if value is not None
            )
            return _Check(True, evidence, (reason,))
        missing = tuple(
            name
            for name, value in (("baseline_systolic_mmhg", systolic), ("baseline_diastolic_mmhg", diastolic))
            if value is None
        )
        if missing:
            return _Check(fired=None, missing=missing)
        return _NOT_FIRED


@dataclass(frozen=True, slots=True)
class AuditCPositive:
    """AUDIT-C at or above the sex-specific cut-off; unknown sex uses the sensitive one."""

    @property
    def facts(self) -> tuple[str, ...]:
        return ("audit_c_total",)

    def check(self, facts: ConsultationFacts, settings: EligibilitySettings) -> _Check:
        total = facts.audit_c_total
        if total is None:
            return _unknown("audit_c_total")
        match facts.sex:
            case Sex.MALE:
                setting, limit = "audit_c_men_at_least", settings.audit_c_men_at_least
            case Sex.FEMALE:
                setting, limit = (
                    "audit_c_women_at_least",
                    settings.audit_c_women_at_least,
                )
            case _:
                setting = "audit_c_other_or_unknown_sex_at_least"
                limit = settings.audit_c_other_or_unknown_sex_at_least
        if total < limit:
            return _NOT_FIRED
        sex = facts.sex.value if facts.sex is not None else "not recorded"
        on = _on(facts.audit_c_completed_on)
        reason = f"audit_c_total {total}{on} >= {limit} (setting {setting}; sex {sex})"
        return _Check(True, (("audit_c_total", total),), (reason,))


@dataclass(frozen=True, slots=True)
class TakesMedication:
    classes: frozenset[MedicationClass]

    @property
    def facts(self) -> tuple[str, ...]:
        return ("current_medication_classes",)

    def check(self, facts: ConsultationFacts, settings: EligibilitySettings) -> _Check:
        taken = facts.current_medication_classes
        if taken is None:
            return _unknown("current_medication_classes")
        matched = tuple(sorted(str(c) for c in taken & self.classes))
        if not matched:
            return _NOT_FIRED
        reason = f"current medication classes include {', '.join(matched)}"
        return _Check(True, (("current_medication_classes", matched),), (reason,))


@dataclass(frozen=True, slots=True)
class HasDiagnosisCode:
    """Fires on a recorded ICD-10-CM code with one of the prefixes; never reports unknown."""

    prefixes: tuple[str, ...]
    meaning: str

    @property
    def facts(self) -> tuple[str, ...]:
        return ("diagnosis_codes",)

    def check(self, facts: ConsultationFacts, settings: EligibilitySettings) -> _Check:
        matched = tuple(sorted(code for code in facts.diagnosis_codes if code.startswith(self.prefixes)))
        if not matched:
            return _NOT_FIRED
        reason = f"diagnosis codes {', '.join(matched)} ({self.meaning})"
        return _Check(True, (("diagnosis_codes", matched),), (reason,))


type Condition = IsTrue | IsFalse | Exceeds | BloodPressureAtLeast | AuditCPositive | TakesMedication | HasDiagnosisCode


@dataclass(frozen=True, slots=True)
class EligibilityRule:
    """One row of the rule table; it fires when any of its conditions does."""

    id: str
    version: int
    routes: frozenset[Route]
    kind: RuleKind
    criteria: str
    explanation: str
    source: str
    any_of: tuple[Condition, ...]
    # False where eligibility.md marks the source unconfirmed or not checked in full text.
    is_source_confirmed: bool = True
    source_note: str = ""

    @property
    def facts(self) -> tuple[str, ...]:
        """The consultation facts this rule reads, in order, without repeats."""
        return tuple(dict.fromkeys(name for c in self.any_of for name in c.facts))

    def check(self, facts: ConsultationFacts, settings: EligibilitySettings) -> _Check:
        """Combine the conditions with three-valued OR: any fired wins, else any unknown."""
        checks = [condition.check(facts, settings) for condition in self.any_of]
        fired = [c for c in checks if c.fired]
        if fired:
            return _Check(
                fired=True,
                evidence=tuple(item for c in fired for item in c.evidence),
                reasons=tuple(reason for c in fired for reason in c.reasons),
            )
        missing = tuple(dict.fromkeys(name for c in checks for name in c.missing))
        if missing:
            return _Check(fired=None, missing=missing)
        return _NOT_FIRED


def _above(fact: str, setting: str, unit: str, *, on: str | None = None) -> Exceeds:
    return Exceeds(fact, setting, unit, inclusive=False, on_fact=on)


def _at_least(fact: str, setting: str, unit: str = "", *, on: str | None = None, meaning: str = "") -> Exceeds:
    return Exceeds(fact, setting, unit, inclusive=True, on_fact=on, meaning=meaning)


_SPRAVATO_US: Final = "SPRAVATO (esketamine) nasal spray, US prescribing information"
_KETALAR_US: Final = "KETALAR (ketamine hydrochloride) injection, US prescribing information"
_CONSENSUS: Final = "Sanacora G, et al. JAMA Psychiatry. 2017;74(4):399-405 (consensus statement)"

RULES: Final[tuple[EligibilityRule, ...]] = (
    EligibilityRule(
        id="ESK-CI-ANEURYSM",
        version=1,
        routes=ESKETAMINE_ROUTES,
        kind=RuleKind.ABSOLUTE,
        criteria="aneurysmal vascular disease (thoracic or abdominal aorta, intracranial or peripheral arteries)",
        explanation="The blood-pressure rise after a dose could rupture the aneurysm.",
        source=f"{_SPRAVATO_US}: contraindications",
        any_of=(IsTrue("has_aneurysmal_vascular_disease"),),
    ),
    EligibilityRule(
        id="ESK-CI-AVM",
        version=1,
        routes=ESKETAMINE_ROUTES,
        kind=RuleKind.ABSOLUTE,
        criteria="arteriovenous malformation",
        explanation="The blood-pressure rise after a dose could make the malformation bleed.",
        source=f"{_SPRAVATO_US}: contraindications",
        any_of=(IsTrue("has_arteriovenous_malformation"),),
    ),
    EligibilityRule(
        id="ESK-CI-ICH",
        version=1,
        routes=ESKETAMINE_ROUTES,
        kind=RuleKind.ABSOLUTE,
        criteria="history of intracerebral hemorrhage",
        explanation="The blood-pressure rise after a dose could cause another bleed.",
        source=f"{_SPRAVATO_US}: contraindications",
        any_of=(IsTrue("has_history_of_intracerebral_hemorrhage"),),
    ),
    EligibilityRule(
        id="ALL-CI-HYPERSENS",
        version=1,
        routes=ALL_ROUTES,
        kind=RuleKind.ABSOLUTE,
        criteria="hypersensitivity to ketamine, esketamine or an excipient",
        explanation="A known allergy to the drug.",
        source=f"{_SPRAVATO_US}; {_KETALAR_US}: contraindications",
        any_of=(IsTrue("is_hypersensitive_to_ketamine_or_esketamine"),),
    ),
    EligibilityRule(
        id="KET-CI-BP-HAZARD",
        version=2,
        routes=KETAMINE_ROUTES,
        kind=RuleKind.ABSOLUTE,
        criteria="a condition where a significant rise in blood pressure would be a serious "
        "hazard (e.g. recent heart attack or stroke, severe uncontrolled hypertension, aortic "
        "dissection, aneurysm, arteriovenous malformation, past brain bleed)",
        explanation="Ketamine raises blood pressure and heart rate.",
        source=f"{_KETALAR_US}: contraindications",
        any_of=(
            IsTrue("bp_rise_would_be_serious_hazard"),
            IsTrue("has_recent_myocardial_infarction"),
            IsTrue("has_recent_stroke"),
            IsTrue("has_severe_uncontrolled_hypertension"),
            # The consultation's own reading answers "severe hypertension" whatever the box says.
            BloodPressureAtLeast(
                "severe_systolic_at_least_mmhg", "severe_diastolic_at_least_mmhg", "severe hypertension"
            ),
            IsTrue("has_aortic_dissection"),
            # Not listed in the ketamine label's examples: these are the esketamine label's
            # contraindications for the same reason (a BP rise could rupture or bleed), so
            # they are shown here too rather than left to the clinician's memory.
            IsTrue("has_aneurysmal_vascular_disease"),
            IsTrue("has_arteriovenous_malformation"),
            IsTrue("has_history_of_intracerebral_hemorrhage"),
        ),
        source_note="Aneurysm, AVM and brain-bleed conditions added by ketaclinic by analogy "
        "with the Spravato label; for the medical director to confirm. Severe hypertension is also "
        "read from the consultation's BP at or above "
        f"{ELIGIBILITY_THRESHOLDS['severe_systolic_at_least_mmhg'].value}/"
        f"{ELIGIBILITY_THRESHOLDS['severe_diastolic_at_least_mmhg'].value} mmHg "
        f"({ELIGIBILITY_THRESHOLDS['severe_systolic_at_least_mmhg'].source}; clinic-configurable, "
        "the boundary not checked against the guideline text).",
    ),
    EligibilityRule(
        id="ALL-REL-HTN",
        version=1,
        routes=ALL_ROUTES,
        kind=RuleKind.RELATIVE,
        criteria="uncontrolled hypertension, or baseline blood pressure above 140/90 mmHg",
        explanation="Blood pressure rises during treatment; bring it under control first.",
        source=f"{_SPRAVATO_US}: blood pressure warning (above 140/90, weigh the risk); {_CONSENSUS}",
        any_of=(
            IsTrue("has_uncontrolled_hypertension"),
            _above("baseline_systolic_mmhg", "systolic_above_mmhg", " mmHg", on="baseline_bp_measured_on"),
            _above("baseline_diastolic_mmhg", "diastolic_above_mmhg", " mmHg", on="baseline_bp_measured_on"),
        ),
    ),
    EligibilityRule(
        id="ALL-REL-CARDIAC",
        version=1,
        routes=ALL_ROUTES,
        kind=RuleKind.RELATIVE,
        criteria="unstable angina, recent heart attack, significant arrhythmia, heart failure, or a past stroke",
        explanation="The rise in blood pressure and heart rate strains the heart and vessels.",
        source=f"{_KETALAR_US}: contraindications (BP rise a serious hazard); UK ketamine SmPC "
        "(severe coronary or myocardial disease, stroke)",
        any_of=(
            IsTrue("has_unstable_angina"),
            IsTrue("has_recent_myocardial_infarction"),
            IsTrue("has_significant_arrhythmia"),
            IsTrue("has_heart_failure"),
            IsTrue("has_history_of_stroke"),
        ),
    ),
    EligibilityRule(
        id="ALL-REL-PSYCHOSIS",
        version=1,
        routes=ALL_ROUTES,
        kind=RuleKind.RELATIVE,
        criteria="a current or past psychotic disorder, or depression with psychotic features",
        explanation="Ketamine may make psychosis worse.",
        source=f"{_SPRAVATO_US}: assess carefully and treat only if benefit outweighs risk; {_CONSENSUS}",
        any_of=(
            IsTrue("has_psychotic_disorder"),
            IsTrue("has_psychotic_features"),
            # F32.3/F33.3 from codes.md; F20-F29 is the ICD-10-CM block of non-mood psychotic
            # disorders (not listed in codes.md).
            HasDiagnosisCode(("F32.3", "F33.3", "F2"), "psychotic features or disorder"),
        ),
    ),
    EligibilityRule(
        id="ALL-REL-MANIA",
        version=1,
        routes=ALL_ROUTES,
        # The id says REL, but eligibility.md gives the kind as caution; ids are stable.
        kind=RuleKind.CAUTION,
        criteria="bipolar disorder or a history of mania",
        explanation="Ketamine may trigger a switch into mania; most trials excluded these patients.",
        source=_CONSENSUS,
        any_of=(
            IsTrue("has_bipolar_disorder_or_mania_history"),
            # codes.md: F31.x bipolar disorder is flagged by this rule.
            HasDiagnosisCode(("F31",), "bipolar disorder"),
        ),
        is_source_confirmed=False,
        source_note="The consensus statement's full text was not checked (eligibility.md).",
    ),
    EligibilityRule(
        id="ALL-REL-SUD",
        version=1,
        routes=ALL_ROUTES,
        kind=RuleKind.RELATIVE,
        criteria="a current substance use disorder (DAST-10 at or above 3, a positive AUDIT-C, "
        "or past ketamine or PCP misuse)",
        explanation="Ketamine can be misused; this needs careful thought and monitoring.",
        source=f"{_SPRAVATO_US}: abuse and misuse (history of substance use disorder, alcohol "
        "included); the project's seed article",
        any_of=(
            IsTrue("has_current_substance_use_disorder"),
            _at_least("dast10_total", "dast10_at_least", on="dast10_completed_on"),
            AuditCPositive(),
            IsTrue("has_history_of_ketamine_or_pcp_misuse"),
        ),
    ),
    EligibilityRule(
        id="ALL-REL-ICP",
        version=1,
        routes=ALL_ROUTES,
        kind=RuleKind.RELATIVE,
        criteria="raised intracranial pressure, a recent head injury, or an intracranial mass",
        explanation="Ketamine can raise the pressure inside the skull.",
        source=f"{_SPRAVATO_US}: do not give where a rise in intracranial pressure is a "
        "serious risk; older ketamine labels (raised CSF pressure)",
        any_of=(
            IsTrue("has_raised_intracranial_pressure"),
            IsTrue("has_recent_head_injury"),
            IsTrue("has_intracranial_mass"),
        ),
    ),
    EligibilityRule(
        id="ALL-REL-PREG",
        version=1,
        routes=ALL_ROUTES,
        kind=RuleKind.RELATIVE,
        criteria="pregnant, planning a pregnancy, or breastfeeding",
        explanation="Animal studies showed harm to the fetus; avoid in pregnancy.",
        source=f"{_SPRAVATO_US}: embryo-fetal toxicity",
        any_of=(
            IsTrue("is_pregnant"),
            IsTrue("is_planning_pregnancy"),
            IsTrue("is_breastfeeding"),
        ),
    ),
    EligibilityRule(
        id="ALL-CAU-LIVER",
        version=1,
        routes=ALL_ROUTES,
        kind=RuleKind.CAUTION,
        criteria="moderate or severe liver impairment",
        explanation="The drug is cleared more slowly, and repeated use has injured the liver.",
        source=f"{_SPRAVATO_US}: hepatic impairment; ketaclinic long-term safety reference",
        any_of=(IsTrue("has_moderate_or_severe_hepatic_impairment"),),
    ),
    EligibilityRule(
        id="ALL-CAU-BLADDER",
        version=1,
        routes=ALL_ROUTES,
        kind=RuleKind.CAUTION,
        criteria="ulcerative or interstitial cystitis, or lower urinary tract symptoms",
        explanation="Ketamine is linked to bladder inflammation (cystitis).",
        source=f"{_SPRAVATO_US}: ulcerative or interstitial cystitis warning",
        any_of=(
            IsTrue("has_ulcerative_or_interstitial_cystitis"),
            IsTrue("has_lower_urinary_tract_symptoms"),
        ),
    ),
    EligibilityRule(
        id="ALL-CAU-RESP",
        version=1,
        routes=ALL_ROUTES,
        kind=RuleKind.CAUTION,
        criteria="sleep apnea or severe lung disease",
        explanation="Breathing can slow or stop under ketamine.",
        source=f"{_SPRAVATO_US}: respiratory depression warning",
        any_of=(IsTrue("has_sleep_apnea"), IsTrue("has_severe_lung_disease")),
    ),
    EligibilityRule(
        id="INT-THEOPHYLLINE",
        version=1,
        routes=ALL_ROUTES,
        kind=RuleKind.INTERACTION,
        criteria="takes theophylline or aminophylline",
        explanation="The combination may make seizures more likely.",
        source=f"{_KETALAR_US}: drug interactions",
        any_of=(TakesMedication(frozenset({MedicationClass.THEOPHYLLINE_OR_AMINOPHYLLINE})),),
    ),
    EligibilityRule(
        id="ALL-CAU-AGE",
        version=1,
        routes=ALL_ROUTES,
        kind=RuleKind.CAUTION,
        criteria="aged 65 or over",
        explanation="Older adults reach higher esketamine levels; the EU label starts them at "
        "28 mg (the US label has no separate dose).",
        source=f"{_SPRAVATO_US}: geriatric use; SPRAVATO EU SmPC: posology",
        any_of=(_at_least("age_years", "older_adult_age_years", " years", on="age_on"),),
    ),
    EligibilityRule(
        id="ALL-CAU-DRIVING",
        version=1,
        routes=ALL_ROUTES,
        kind=RuleKind.CAUTION,
        criteria="no escort home, or must drive the same day",
        explanation="Driving is impaired until the next day after a restful sleep.",
        source=f"{_SPRAVATO_US}: driving and operating machinery",
        any_of=(IsFalse("has_escort_home"), IsTrue("must_drive_same_day")),
    ),
    EligibilityRule(
        id="INT-BENZO",
        version=1,
        routes=ALL_ROUTES,
        kind=RuleKind.INTERACTION,
        criteria="takes a benzodiazepine",
        explanation="Adds to sedation, and may blunt the antidepressant response.",
        source=f"{_SPRAVATO_US}: CNS depressants; observational studies",
        # The sedation part is label-based, so the rule cannot be switched off; only the
        # blunted-response part is of unconfirmed strength.
        source_note="The blunted-response part rests on observational studies of unconfirmed strength.",
        any_of=(TakesMedication(frozenset({MedicationClass.BENZODIAZEPINE})),),
    ),
    EligibilityRule(
        id="INT-LAMOTRIGINE",
        version=1,
        routes=ALL_ROUTES,
        kind=RuleKind.INTERACTION,
        criteria="takes lamotrigine",
        explanation="May blunt ketamine's effect (it reduces glutamate release).",
        source="small studies",
        any_of=(TakesMedication(frozenset({MedicationClass.LAMOTRIGINE})),),
        is_source_confirmed=False,
        source_note="Small studies only (unconfirmed in eligibility.md).",
    ),
    EligibilityRule(
        id="INT-STIM",
        version=1,
        routes=ALL_ROUTES,
        kind=RuleKind.INTERACTION,
        criteria="takes a psychostimulant (amphetamine, methylphenidate, modafinil)",
        explanation="Raises blood pressure further.",
        source=f"{_SPRAVATO_US}: drug interactions (psychostimulants)",
        any_of=(TakesMedication(frozenset({MedicationClass.PSYCHOSTIMULANT})),),
    ),
    EligibilityRule(
        id="INT-MAOI",
        version=1,
        routes=ALL_ROUTES,
        kind=RuleKind.INTERACTION,
        criteria="takes an MAO inhibitor",
        explanation="Raises blood pressure further.",
        source=f"{_SPRAVATO_US}: drug interactions (MAO inhibitors)",
        any_of=(TakesMedication(frozenset({MedicationClass.MAO_INHIBITOR})),),
    ),
    EligibilityRule(
        id="INT-CNS-DEP",
        version=2,
        routes=ALL_ROUTES,
        kind=RuleKind.INTERACTION,
        criteria="takes opioids, sedating antihistamines, sleeping pills or other CNS depressants, or drinks alcohol",
        explanation="More sedation and a higher risk of slowed breathing.",
        source=f"{_SPRAVATO_US}: drug interactions (CNS depressants)",
        any_of=(
            TakesMedication(
                frozenset(
                    {
                        MedicationClass.OPIOID,
                        MedicationClass.SEDATING_ANTIHISTAMINE,
                        MedicationClass.NON_BENZODIAZEPINE_SEDATIVE_HYPNOTIC,
                        MedicationClass.OTHER_CNS_DEPRESSANT,
                    }
                )
            ),
            IsTrue("drinks_alcohol"),
            # Any AUDIT-C total above 0 means the patient reported drinking, whatever the box says.
            _at_least(
                "audit_c_total", "audit_c_drinks_alcohol_at_least", on="audit_c_completed_on", meaning="drinks alcohol"
            ),
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A versioned rule table; a clinic's own table is a new RuleSet with its own version."""

    version: str
    rules: tuple[EligibilityRule, ...]

    def __post_init__(self) -> None:
        ids = [rule.id for rule in self.rules]
        duplicates = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
        if duplicates:
            raise ValueError(f"Rule ids must be unique: {', '.join(duplicates)}.")


RULE_SET: Final = RuleSet(version=RULE_SET_VERSION, rules=RULES)


@dataclass(frozen=True, slots=True)
class EligibilityFinding:
    rule_id: str
    rule_version: int
    kind: RuleKind
    explanation: str
    source: str
    evidence: dict[str, EvidenceValue]
    reasons: tuple[str, ...]
    is_source_confirmed: bool
    source_note: str


@dataclass(frozen=True, slots=True)
class NotAssessed:
    """A rule that could neither fire nor be cleared because facts were not recorded."""

    rule_id: str
    rule_version: int
    kind: RuleKind
    explanation: str
    source: str
    missing_facts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EligibilityEvaluation:
    """Findings for one route: no verdict, the clinician decides."""

    route: Route
    rule_set_version: str
    settings: EligibilitySettings
    findings: tuple[EligibilityFinding, ...]
    not_fired: tuple[str, ...]
    not_assessed: tuple[NotAssessed, ...]
    not_for_route: tuple[str, ...]
    disabled: tuple[str, ...] = ()

    @property
    def needing_written_justification(self) -> tuple[EligibilityFinding, ...]:
        """Relative findings: eligibility.md asks for a written justification to go ahead."""
        return tuple(f for f in self.findings if f.kind is RuleKind.RELATIVE)


def _check_settings(settings: EligibilitySettings, rules: Sequence[EligibilityRule]) -> None:
    by_id = {rule.id: rule for rule in rules}
    for rule_id in sorted(settings.disabled_rule_ids):
        rule = by_id.get(rule_id)
        if rule is None:
            raise EligibilitySettingsError(
                f"No eligibility rule {rule_id!r} to disable.",
                code="unknown_rule",
                field="disabled_rule_ids",
            )
        if rule.is_source_confirmed:
            raise EligibilitySettingsError(
                f"Rule {rule_id} rests on a confirmed source and cannot be switched off.",
                code="rule_not_configurable",
                field="disabled_rule_ids",
            )


def evaluate(
    facts: ConsultationFacts,
    route: Route,
    settings: EligibilitySettings | None = None,
    *,
    rule_set: RuleSet = RULE_SET,
) -> EligibilityEvaluation:
    """Run every rule for the route over the consultation and sort them by outcome."""
    settings = settings if settings is not None else EligibilitySettings()
    _check_settings(settings, rule_set.rules)
    findings: list[EligibilityFinding] = []
    not_fired: list[str] = []
    not_assessed: list[NotAssessed] = []
    not_for_route: list[str] = []
    disabled: list[str] = []
    for rule in rule_set.rules:
        if route not in rule.routes:
            not_for_route.append(rule.id)
            continue
        if rule.id in settings.disabled_rule_ids:
            disabled.append(rule.id)
            continue
        result = rule.check(facts, settings)
        if result.fired:
            findings.append(
                EligibilityFinding(
                    rule_id=rule.id,
                    rule_version=rule.version,
                    kind=rule.kind,
                    explanation=rule.explanation,
                    source=rule.source,
                    evidence=dict(result.evidence),
                    reasons=result.reasons,
                    is_source_confirmed=rule.is_source_confirmed,
                    source_note=rule.source_note,
                )
            )
        elif result.fired is None:
            not_assessed.append(
                NotAssessed(
                    rule_id=rule.id,
                    rule_version=rule.version,
                    kind=rule.kind,
                    explanation=rule.explanation,
                    source=rule.source,
                    missing_facts=result.missing,
                )
            )
        else:
            not_fired.append(rule.id)
    return EligibilityEvaluation(
        route=route,
        rule_set_version=rule_set.version,
        settings=settings,
        findings=tuple(findings),
        not_fired=tuple(not_fired),
        not_assessed=tuple(not_assessed),
        not_for_route=tuple(not_for_route),
        disabled=tuple(disabled),
    )
