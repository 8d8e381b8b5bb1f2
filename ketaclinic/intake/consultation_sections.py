"""The yes/no questions of the consultation's history sections, in the clinic's words.

Each key is a field of ``core.eligibility.ConsultationFacts``; an answer left blank stays
"not asked", which the eligibility rules report as not assessed rather than as "no".
"""

from __future__ import annotations

HISTORY_SECTIONS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Psychiatric history",
        (
            ("has_psychotic_disorder", "Psychotic disorder, current or past"),
            ("has_psychotic_features", "Psychotic features in the current episode"),
            ("has_bipolar_disorder_or_mania_history", "Bipolar disorder or a history of mania"),
        ),
    ),
    (
        "Cardiovascular",
        (
            ("has_uncontrolled_hypertension", "Uncontrolled hypertension"),
            ("has_severe_uncontrolled_hypertension", "Severe uncontrolled hypertension"),
            ("has_recent_myocardial_infarction", "Recent myocardial infarction"),
            ("has_unstable_angina", "Unstable angina"),
            ("has_significant_arrhythmia", "Significant arrhythmia"),
            ("has_heart_failure", "Heart failure"),
            ("has_aortic_dissection", "Aortic dissection"),
            ("bp_rise_would_be_serious_hazard", "Any condition where a blood-pressure rise would be a serious hazard"),
        ),
    ),
    (
        "Vascular and neurological",
        (
            ("has_aneurysmal_vascular_disease", "Aneurysm (aortic, intracranial or peripheral)"),
            ("has_arteriovenous_malformation", "Arteriovenous malformation"),
            ("has_history_of_intracerebral_hemorrhage", "Intracerebral hemorrhage, ever"),
            ("has_recent_stroke", "Recent stroke"),
            ("has_history_of_stroke", "Stroke, ever"),
            ("has_raised_intracranial_pressure", "Raised intracranial pressure"),
            ("has_recent_head_injury", "Recent head injury"),
            ("has_intracranial_mass", "Intracranial mass"),
        ),
    ),
    (
        "Other medical history",
        (
            ("is_hypersensitive_to_ketamine_or_esketamine", "Hypersensitivity to ketamine or esketamine"),
            ("has_moderate_or_severe_hepatic_impairment", "Moderate or severe liver disease"),
            ("has_ulcerative_or_interstitial_cystitis", "Ulcerative or interstitial cystitis"),
            ("has_lower_urinary_tract_symptoms", "Lower urinary tract symptoms"),
            ("has_sleep_apnea", "Sleep apnea"),
            ("has_severe_lung_disease", "Severe lung disease"),
        ),
    ),
    (
        "Pregnancy",
        (
            ("is_pregnant", "Pregnant"),
            ("is_planning_pregnancy", "Planning a pregnancy"),
            ("is_breastfeeding", "Breastfeeding"),
        ),
    ),
    (
        "Substance use",
        (
            ("has_current_substance_use_disorder", "Current substance use disorder"),
            ("has_history_of_ketamine_or_pcp_misuse", "Past misuse of ketamine or PCP"),
            ("drinks_alcohol", "Drinks alcohol"),
        ),
    ),
    (
        "Getting home",
        (
            ("has_escort_home", "Someone can take them home after each session"),
            ("must_drive_same_day", "Must drive on treatment days"),
        ),
    ),
)

HISTORY_FACTS: tuple[str, ...] = tuple(fact for _title, facts in HISTORY_SECTIONS for fact, _label in facts)
