"""A consultation as the pure eligibility and treatment-resistance rules read it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from ketaclinic.core import eligibility
from ketaclinic.core.treatment_resistance import (
    AntidepressantTrial,
    EpisodeSeverity,
    MaudsleyInputs,
    TreatmentResistance,
    TrialOutcome,
    TrialRole,
    assess_treatment_resistance,
    is_major_depressive_disorder_code,
)
from ketaclinic.intake.consultation_sections import HISTORY_FACTS
from ketaclinic.intake.models import Consultation, PriorTrial
from ketaclinic.measures.models import QuestionnaireResponse

SEX_FOR_RULES = {"female": eligibility.Sex.FEMALE, "male": eligibility.Sex.MALE}


@dataclass(frozen=True, slots=True)
class StoredTotal:
    total: int
    completed_on: dt.date


def latest_totals(consultation: Consultation, codes: tuple[str, ...]) -> dict[str, StoredTotal | None]:
    """The most recent completed total of each scale for the consultation's patient (one query)."""
    totals: dict[str, StoredTotal | None] = dict.fromkeys(codes)
    responses = (
        QuestionnaireResponse.objects.in_use()
        .filter(patient_id=consultation.patient_id, instrument_code__in=codes, status="completed", total__isnull=False)
        .order_by("-completed_at", "-pk")  # the later of two at the same moment
        .values_list("instrument_code", "total", "completed_at")
    )
    for code, total, completed_at in responses:
        if totals[code] is None:
            totals[code] = StoredTotal(total=total, completed_on=timezone.localdate(completed_at))
    return totals


def consultation_facts(consultation: Consultation) -> eligibility.ConsultationFacts:
    patient = consultation.patient
    history = {name: consultation.history.get(name) for name in HISTORY_FACTS}
    totals = latest_totals(consultation, ("audit_c", "dast10"))
    dast10, audit_c = totals["dast10"], totals["audit_c"]
    today = timezone.localdate()
    has_bp = consultation.systolic_mmhg is not None or consultation.diastolic_mmhg is not None
    classes = (
        frozenset(eligibility.MedicationClass(value) for value in consultation.medication_classes)
        if consultation.are_medications_reconciled
        else None
    )
    # The rules read the numbers themselves (BP, age, stored screens), so a value that fires a
    # rule does so even where the matching history box was left unticked.
    return eligibility.ConsultationFacts(
        age_years=patient.age_on(today),
        age_on=today,
        sex=SEX_FOR_RULES.get(patient.sex_at_birth, eligibility.Sex.UNKNOWN),
        baseline_systolic_mmhg=consultation.systolic_mmhg,
        baseline_diastolic_mmhg=consultation.diastolic_mmhg,
        # The consultation records its baseline vitals on the day it was held.
        baseline_bp_measured_on=timezone.localdate(consultation.started_at) if has_bp else None,
        dast10_total=dast10.total if dast10 else None,
        dast10_completed_on=dast10.completed_on if dast10 else None,
        audit_c_total=audit_c.total if audit_c else None,
        audit_c_completed_on=audit_c.completed_on if audit_c else None,
        current_medication_classes=classes,
        diagnosis_codes=frozenset(consultation.diagnosis_codes),
        **history,
    )


def trials_for_rules(trials: list[PriorTrial]) -> list[AntidepressantTrial]:
    return [
        AntidepressantTrial(
            drug=trial.drug,
            daily_dose_mg=trial.daily_dose_mg,
            weeks_at_dose=trial.weeks_at_dose,
            is_dose_adequate=trial.is_dose_adequate,
            is_adherent=trial.is_adherent,
            outcome=TrialOutcome(trial.outcome),
            is_current_episode=trial.is_current_episode,
            role=TrialRole(trial.role),
            improvement_percent=trial.improvement_percent,
            stopped_for_intolerance=trial.stopped_for_intolerance,
            drug_code=trial.drug_code or None,
        )
        for trial in trials
    ]


def treatment_resistance(consultation: Consultation, trials: list[PriorTrial]) -> TreatmentResistance:
    codes = consultation.diagnosis_codes
    # No diagnosis recorded leaves the full definition unknown rather than unmet.
    has_mdd = any(is_major_depressive_disorder_code(code) for code in codes) if codes else None
    staging = MaudsleyInputs(
        episode_duration_months=consultation.episode_duration_months,
        severity=EpisodeSeverity(consultation.episode_severity) if consultation.episode_severity else None,
        ect_used=consultation.has_had_ect,
    )
    return assess_treatment_resistance(
        trials_for_rules(trials), has_major_depressive_disorder=has_mdd, staging_inputs=staging
    )


def evaluations(consultation: Consultation) -> list[eligibility.EligibilityEvaluation]:
    facts = consultation_facts(consultation)
    return [eligibility.evaluate(facts, route) for route in eligibility.Route]
