"""Steps the pure-core tests share: consultation facts with nothing of concern, and antidepressant trials."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from ketaclinic.core.eligibility import ConsultationFacts, Sex
from ketaclinic.core.treatment_resistance import (
    AntidepressantTrial,
    TreatmentResistance,
    TrialOutcome,
    assess_treatment_resistance,
)

D = Decimal

# Every fact recorded, and none of them a reason for concern.
CLEAR = ConsultationFacts(
    age_years=40,
    sex=Sex.FEMALE,
    baseline_systolic_mmhg=120,
    baseline_diastolic_mmhg=80,
    has_aneurysmal_vascular_disease=False,
    has_arteriovenous_malformation=False,
    has_history_of_intracerebral_hemorrhage=False,
    is_hypersensitive_to_ketamine_or_esketamine=False,
    bp_rise_would_be_serious_hazard=False,
    has_recent_myocardial_infarction=False,
    has_recent_stroke=False,
    has_severe_uncontrolled_hypertension=False,
    has_aortic_dissection=False,
    has_uncontrolled_hypertension=False,
    has_unstable_angina=False,
    has_significant_arrhythmia=False,
    has_heart_failure=False,
    has_history_of_stroke=False,
    has_psychotic_disorder=False,
    has_psychotic_features=False,
    has_bipolar_disorder_or_mania_history=False,
    has_current_substance_use_disorder=False,
    has_history_of_ketamine_or_pcp_misuse=False,
    dast10_total=0,
    audit_c_total=0,
    drinks_alcohol=False,
    has_raised_intracranial_pressure=False,
    has_recent_head_injury=False,
    has_intracranial_mass=False,
    is_pregnant=False,
    is_planning_pregnancy=False,
    is_breastfeeding=False,
    has_moderate_or_severe_hepatic_impairment=False,
    has_ulcerative_or_interstitial_cystitis=False,
    has_lower_urinary_tract_symptoms=False,
    has_sleep_apnea=False,
    has_severe_lung_disease=False,
    has_escort_home=True,
    must_drive_same_day=False,
    current_medication_classes=frozenset(),
)


def trial(drug: str = "sertraline", **changes: Any) -> AntidepressantTrial:
    """An adequate failed trial in the current episode unless changed."""
    adequate = AntidepressantTrial(
        drug=drug,
        daily_dose_mg=D("150"),
        weeks_at_dose=D("8"),
        is_dose_adequate=True,
        is_adherent=True,
        outcome=TrialOutcome.NON_RESPONSE,
        is_current_episode=True,
    )
    return replace(adequate, **changes)


def assess(*trials: AntidepressantTrial, **options: Any) -> TreatmentResistance:
    options.setdefault("has_major_depressive_disorder", True)
    return assess_treatment_resistance(trials, **options)
