"""Treatment-resistant depression: counting failed antidepressant trials, and Maudsley staging.

Operational definition (eligibility.md; EMA depression guideline; SPRAVATO EU SmPC 4.1; the
esketamine phase 3 trials): major depressive disorder that has not responded to at least two
different antidepressants, each at an adequate dose for an adequate duration, in the current
episode. A trial counts as a failure only when every one of these is recorded:

* an antidepressant (an augmentation is recorded as such, feeds the staging, and is not an
  extra antidepressant);
* in the current episode;
* not stopped for intolerance before an adequate duration (those are listed separately);
* an adequate dose (the clinician's judgement, e.g. with the MGH-ATRQ, checked against records);
* at least ``adequate_weeks`` at that dose (project default 6; EU-PEARL uses 4 as the floor);
* taken as prescribed;
* non-response: at most 25 % improvement (phase 3 definition);
* a drug not already counted in this episode: each ingredient counts once, whether the trial
  names it by ingredient, by a brand or by a code from ``rules/antidepressants.yaml`` (Zoloft
  is sertraline). A name not in the list is "not coded": it is not counted until a prescriber
  reviews it and picks the drug from the list (a close listed name is offered), because a
  misspelling ("sertaline") would otherwise count as a second drug;
* an antidepressant: a listed augmentation agent (lithium) entered with the antidepressant
  role is not counted either, and shown for review of its role.

A trial missing any of these facts is "unclear": it is not counted, and if the unclear trials
could change the answer the criterion is reported as unknown (``None``), not as unmet.

Maudsley Staging Method (Fekadu et al. 2009; standardisation framework, Fekadu, Donocik, Cleare
2018) is informational staging, shown with each parameter's points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

from ketaclinic.core.antidepressants import (
    CloseMatch,
    DrugConcept,
    drug_by_code,
    drug_close_match,
    drug_lookup,
    normalized_drug_text,
)

DEFINITION_VERSION: Final = "trd-2026.3"

TRD_SOURCE: Final = (
    "EMA guideline on clinical investigation of medicinal products in the treatment of "
    "depression; SPRAVATO EU SmPC 4.1; esketamine phase 3 trials (adequacy per MGH-ATRQ)"
)
MAUDSLEY_SOURCE: Final = (
    "Fekadu A, et al. J Clin Psychiatry. 2009;70(2):177-184; Fekadu A, Donocik JG, Cleare AJ. "
    "BMC Psychiatry. 2018;18:100 (table 3)"
)

# ICD-10-CM major depressive disorder codes from codes.md. F32.A (depression, unspecified) and
# F33.8 (other recurrent depressive disorders) are not MDD and are left out on purpose.
MAJOR_DEPRESSIVE_DISORDER_CODES: Final = frozenset(
    {
        "F32.0",
        "F32.1",
        "F32.2",
        "F32.3",
        "F32.4",
        "F32.5",
        "F32.9",
        "F33.0",
        "F33.1",
        "F33.2",
        "F33.3",
        "F33.40",
        "F33.41",
        "F33.42",
        "F33.9",
    }
)


def is_major_depressive_disorder_code(code: str) -> bool:
    return code.strip().upper() in MAJOR_DEPRESSIVE_DISORDER_CODES


@dataclass(frozen=True, slots=True)
class TreatmentResistanceSettings:
    """Clinic-configurable thresholds of the definition, with where each default came from."""

    # Esketamine phase 3 trials and ESCAPE-TRD; project default, configurable. EU-PEARL
    # (Sforzini 2022) uses 4 weeks as the floor.
    adequate_weeks: Decimal = Decimal(6)
    # Phase 3 trials: non-response = at most 25 % improvement on that trial.
    non_response_max_improvement_percent: Decimal = Decimal(25)
    # EMA guideline and SPRAVATO EU SmPC: at least two failed treatments.
    failed_trials_required: int = 2

    def __post_init__(self) -> None:
        if self.adequate_weeks <= 0 or self.failed_trials_required < 1:
            raise ValueError("adequate_weeks and failed_trials_required must be positive.")


class TrialRole(StrEnum):
    ANTIDEPRESSANT = "antidepressant"  # alone or combined with another antidepressant
    AUGMENTATION = "augmentation"  # e.g. lithium, an antipsychotic, thyroid hormone


class TrialOutcome(StrEnum):
    NON_RESPONSE = "non_response"
    PARTIAL_RESPONSE = "partial_response"
    RESPONSE = "response"
    REMISSION = "remission"
    UNKNOWN = "unknown"


class TrialStatus(StrEnum):
    COUNTED = "counted"
    AUGMENTATION = "augmentation"
    PREVIOUS_EPISODE = "previous_episode"
    STOPPED_FOR_INTOLERANCE = "stopped_for_intolerance"
    DOSE_NOT_ADEQUATE = "dose_not_adequate"
    TOO_SHORT = "too_short"
    NOT_ADHERENT = "not_adherent"
    RESPONDED = "responded"
    SAME_DRUG_ALREADY_COUNTED = "same_drug_already_counted"
    UNCLEAR = "unclear"
    # For a prescriber to review: not counted until the trial names a listed antidepressant.
    NOT_CODED = "not_coded"
    AUGMENTATION_AGENT = "augmentation_agent"


@dataclass(frozen=True, slots=True)
class AntidepressantTrial:
    """One prior treatment trial as the consultation recorded it; None = not recorded."""

    drug: str
    daily_dose_mg: Decimal | None
    weeks_at_dose: Decimal | None
    is_dose_adequate: bool | None
    is_adherent: bool | None
    outcome: TrialOutcome
    is_current_episode: bool | None
    role: TrialRole = TrialRole.ANTIDEPRESSANT
    improvement_percent: Decimal | None = None
    stopped_for_intolerance: bool = False
    # A code from rules/antidepressants.yaml; None for trials typed as free text (legacy).
    drug_code: str | None = None

    @property
    def concept(self) -> DrugConcept | None:
        """The listed ingredient: by the code given, else by the typed ingredient or brand name."""
        coded = drug_by_code(self.drug_code) if self.drug_code else None
        return coded if coded is not None else drug_lookup(self.drug)

    @property
    def drug_text_key(self) -> str:
        return normalized_drug_text(self.drug) or " ".join(self.drug.split()).casefold()

    @property
    def drug_key(self) -> str:
        """One key per ingredient (its code), or the normalized text of a drug not in the list."""
        concept = self.concept
        return concept.code if concept is not None else f"text:{self.drug_text_key}"

    @property
    def label(self) -> str:
        concept = self.concept
        # A brand name shows its ingredient: "Zoloft (sertraline)".
        named = f" ({concept.ingredient})" if concept is not None and self.drug_text_key != concept.ingredient else ""
        dose = f" {self.daily_dose_mg} mg/day" if self.daily_dose_mg is not None else ""
        weeks = f", {self.weeks_at_dose} weeks" if self.weeks_at_dose is not None else ""
        return f"{self.drug}{named}{dose}{weeks}"


@dataclass(frozen=True, slots=True)
class TrialJudgement:
    trial: AntidepressantTrial
    status: TrialStatus
    reasons: tuple[str, ...]

    @property
    def review_notes(self) -> tuple[str, ...]:
        """What a prescriber must review before the trial can count, and the close listed name."""
        if self.status not in (TrialStatus.NOT_CODED, TrialStatus.AUGMENTATION_AGENT):
            return ()
        return tuple(r for r in self.reasons if r.startswith(("not counted:", "did you mean")))


class EpisodeSeverity(StrEnum):
    SUBSYNDROMAL = "subsyndromal"
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE_WITHOUT_PSYCHOSIS = "severe_without_psychosis"
    SEVERE_WITH_PSYCHOSIS = "severe_with_psychosis"


class MaudsleyBand(StrEnum):
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


_SEVERITY_POINTS: Final = {
    EpisodeSeverity.SUBSYNDROMAL: 1,
    EpisodeSeverity.MILD: 2,
    EpisodeSeverity.MODERATE: 3,
    EpisodeSeverity.SEVERE_WITHOUT_PSYCHOSIS: 4,
    EpisodeSeverity.SEVERE_WITH_PSYCHOSIS: 5,
}

# (highest count in the band, points, band as printed); above the last band = 5 points.
_FAILURE_BANDS: Final = ((2, 1, "1-2"), (4, 2, "3-4"), (6, 3, "5-6"), (10, 4, "7-10"))


@dataclass(frozen=True, slots=True)
class MaudsleyStage:
    duration_points: int
    severity_points: int
    failure_points: int
    augmentation_points: int
    ect_points: int
    total: int
    band: MaudsleyBand
    steps: tuple[str, ...]
    source: str = MAUDSLEY_SOURCE


@dataclass(frozen=True, slots=True)
class MaudsleyInputs:
    """Staging facts not derived from the trial list; None = not recorded."""

    episode_duration_months: Decimal | int | None
    severity: EpisodeSeverity | None
    ect_used: bool | None


def maudsley_stage(
    *,
    episode_duration_months: Decimal | int,
    severity: EpisodeSeverity,
    failed_antidepressants: int,
    augmentation_used: bool,
    ect_used: bool,
) -> MaudsleyStage:
    """Score the Maudsley Staging Method (total 3-15) with each parameter's points shown."""
    if episode_duration_months < 0:
        raise ValueError("Episode duration cannot be negative.")
    if failed_antidepressants < 1:
        raise ValueError(
            f"The Maudsley Staging Method starts at one failed antidepressant (got {failed_antidepressants})."
        )
    if episode_duration_months <= 12:
        duration_points, duration_text = 1, "acute (<= 12 months)"
    elif episode_duration_months <= 24:
        duration_points, duration_text = 2, "subacute (13-24 months)"
    else:
        duration_points, duration_text = 3, "chronic (> 24 months)"
    severity_points = _SEVERITY_POINTS[severity]
    failure_points, failure_text = 5, "> 10"
    for highest, points, text in _FAILURE_BANDS:
        if failed_antidepressants <= highest:
            failure_points, failure_text = points, text
            break
    augmentation_points = 1 if augmentation_used else 0
    ect_points = 1 if ect_used else 0
    total = duration_points + severity_points + failure_points + augmentation_points + ect_points
    if total <= 6:
        band, band_text = MaudsleyBand.MILD, "3-6"
    elif total <= 10:
        band, band_text = MaudsleyBand.MODERATE, "7-10"
    else:
        band, band_text = MaudsleyBand.SEVERE, "11-15"
    steps = (
        f"Episode duration {episode_duration_months} months: {duration_text} = {duration_points}",
        f"Severity at baseline {severity.value.replace('_', ' ')} = {severity_points}",
        f"Failed antidepressants {failed_antidepressants}: {failure_text} = {failure_points}",
        f"Augmentation used: {'yes' if augmentation_used else 'no'} = {augmentation_points}",
        f"ECT used: {'yes' if ect_used else 'no'} = {ect_points}",
        (
            f"Total {duration_points} + {severity_points} + {failure_points} + "
            f"{augmentation_points} + {ect_points} = {total}: {band.value} ({band_text})"
        ),
    )
    return MaudsleyStage(
        duration_points=duration_points,
        severity_points=severity_points,
        failure_points=failure_points,
        augmentation_points=augmentation_points,
        ect_points=ect_points,
        total=total,
        band=band,
        steps=steps,
    )


@dataclass(frozen=True, slots=True)
class TreatmentResistance:
    trials: tuple[TrialJudgement, ...]
    failed_trial_count: int
    failed_drugs: tuple[str, ...]
    unclear_trial_count: int
    # True/False when the trial list settles it; None when unclear trials could change it.
    meets_failed_trial_criterion: bool | None
    # The full definition also needs an MDD diagnosis; None while either part is unknown.
    meets_definition: bool | None
    staging: MaudsleyStage | None
    steps: tuple[str, ...]
    settings: TreatmentResistanceSettings
    definition_version: str = DEFINITION_VERSION
    source: str = TRD_SOURCE

    @property
    def stopped_for_intolerance(self) -> tuple[TrialJudgement, ...]:
        """Listed apart from failures, as eligibility.md asks."""
        return tuple(j for j in self.trials if j.status is TrialStatus.STOPPED_FOR_INTOLERANCE)

    @property
    def not_coded(self) -> tuple[TrialJudgement, ...]:
        """Trials whose drug is not in the coded list: not counted, for review."""
        return tuple(j for j in self.trials if j.trial.concept is None)

    @property
    def to_review(self) -> tuple[TrialJudgement, ...]:
        """Trials left out of the count until a prescriber reviews the drug or its role."""
        return tuple(j for j in self.trials if j.status in (TrialStatus.NOT_CODED, TrialStatus.AUGMENTATION_AGENT))


def _response_status(
    trial: AntidepressantTrial, settings: TreatmentResistanceSettings
) -> tuple[TrialStatus | None, str]:
    """Non-response decides a failure: None status = non-response, else why not counted."""
    limit = settings.non_response_max_improvement_percent
    recorded_non_response = trial.outcome is TrialOutcome.NON_RESPONSE
    if trial.improvement_percent is not None:
        measured_non_response = trial.improvement_percent <= limit
        sign = "<=" if measured_non_response else ">"
        measured = f"improvement {trial.improvement_percent}% {sign} {limit}%"
        if trial.outcome is not TrialOutcome.UNKNOWN and recorded_non_response != (measured_non_response):
            return TrialStatus.UNCLEAR, (
                f"{measured} disagrees with the recorded outcome "
                f"{trial.outcome.value.replace('_', ' ')}: check the record"
            )
        if measured_non_response:
            return None, f"{measured}: non-response"
        return TrialStatus.RESPONDED, f"{measured}: not a non-response"
    if trial.outcome is TrialOutcome.UNKNOWN:
        return TrialStatus.UNCLEAR, "outcome not recorded"
    if recorded_non_response:
        return None, "recorded as non-response"
    return TrialStatus.RESPONDED, f"recorded as {trial.outcome.value.replace('_', ' ')}"


def _judge_trial(
    trial: AntidepressantTrial, settings: TreatmentResistanceSettings
) -> tuple[TrialStatus | None, tuple[str, ...]]:
    """Return a definite exclusion, UNCLEAR, or None (a failure), with every reason found."""
    if trial.role is TrialRole.AUGMENTATION:
        return TrialStatus.AUGMENTATION, ("augmentation: feeds the staging, not counted as an antidepressant",)
    excluded: list[TrialStatus] = []
    unclear = False
    reasons: list[str] = []

    if trial.is_current_episode is None:
        unclear = True
        reasons.append("episode not recorded")
    elif not trial.is_current_episode:
        excluded.append(TrialStatus.PREVIOUS_EPISODE)
        reasons.append("previous episode")

    weeks = trial.weeks_at_dose
    adequate = settings.adequate_weeks
    if trial.stopped_for_intolerance and (weeks is None or weeks < adequate):
        excluded.append(TrialStatus.STOPPED_FOR_INTOLERANCE)
        reasons.append(f"stopped for intolerance before {adequate} weeks")

    if trial.is_dose_adequate is None:
        unclear = True
        reasons.append("dose adequacy not recorded")
    elif not trial.is_dose_adequate:
        excluded.append(TrialStatus.DOSE_NOT_ADEQUATE)
        reasons.append("dose not adequate")
    else:
        reasons.append("adequate dose")

    if weeks is None:
        unclear = True
        reasons.append("weeks at dose not recorded")
    elif weeks < adequate:
        excluded.append(TrialStatus.TOO_SHORT)
        reasons.append(f"{weeks} < {adequate} weeks")
    else:
        reasons.append(f"{weeks} >= {adequate} weeks")

    if trial.is_adherent is None:
        unclear = True
        reasons.append("adherence not recorded")
    elif not trial.is_adherent:
        excluded.append(TrialStatus.NOT_ADHERENT)
        reasons.append("not taken as prescribed")

    response, response_reason = _response_status(trial, settings)
    reasons.append(response_reason)
    if response is TrialStatus.UNCLEAR:
        unclear = True
    elif response is not None:
        excluded.append(response)

    if excluded:
        return excluded[0], tuple(reasons)
    if unclear:
        return TrialStatus.UNCLEAR, tuple(reasons)
    return None, tuple(reasons)


def _kleene_and(left: bool | None, right: bool | None) -> bool | None:
    if left is False or right is False:
        return False
    if left is None or right is None:
        return None
    return True


def assess_treatment_resistance(
    trials: Sequence[AntidepressantTrial],
    *,
    has_major_depressive_disorder: bool | None,
    staging_inputs: MaudsleyInputs | None = None,
    settings: TreatmentResistanceSettings | None = None,
) -> TreatmentResistance:
    """Count failed adequate trials in the current episode and stage resistance, showing why.

    ``has_major_depressive_disorder`` is the clinician's diagnosis (see
    :func:`is_major_depressive_disorder_code`); None leaves the full definition unknown.
    """
    settings = settings if settings is not None else TreatmentResistanceSettings()
    judgements: list[TrialJudgement] = []
    # drug key -> (number, trial) of the trial that counted it
    counted: dict[str, tuple[int, AntidepressantTrial]] = {}
    unclear_drugs: set[str] = set()
    steps = [f"Trials listed: {len(trials)}"]
    # drug key of a not-coded trial that would otherwise fail -> its number: review may add it
    not_coded_failures: dict[str, int] = {}
    for number, trial in enumerate(trials, start=1):
        status, reasons = _judge_trial(trial, settings)
        key, concept = trial.drug_key, trial.concept
        if concept is None:
            reasons = (*reasons, "not counted: not coded — review")
            match = drug_close_match(trial.drug)
            if match is not None:
                reasons = (*reasons, f"did you mean {_match_text(match)}?")
            if status is None:
                status = TrialStatus.NOT_CODED
                not_coded_failures.setdefault(key, number)
            elif status is TrialStatus.UNCLEAR:
                unclear_drugs.add(key)
        elif concept.drug_class == "augmentation" and trial.role is TrialRole.ANTIDEPRESSANT:
            # Never an extra antidepressant, whatever else the record says; review fixes the role.
            status = TrialStatus.AUGMENTATION_AGENT
            reasons = (
                *reasons,
                "not counted: an augmentation agent",
                f"{concept.ingredient} is listed as an augmentation agent: review the role",
            )
        if status is None:
            if key in counted:
                first_number, first = counted[key]
                same = f"{concept.display} already counted" if concept is not None else "by its text, already counted"
                status = TrialStatus.SAME_DRUG_ALREADY_COUNTED
                reasons = (*reasons, f"same drug as trial {first_number} ({first.drug}): {same} in this episode")
            else:
                status = TrialStatus.COUNTED
                counted[key] = (number, trial)
        elif status is TrialStatus.UNCLEAR:
            unclear_drugs.add(key)
        judgements.append(TrialJudgement(trial=trial, status=status, reasons=reasons))
        verdict = "counted" if status is TrialStatus.COUNTED else "not counted"
        steps.append(f"{number}. {trial.label}: {verdict} ({'; '.join(reasons)})")

    failed = len(counted)
    required = settings.failed_trials_required
    failed_drugs = tuple(j.trial.drug for j in judgements if j.status is TrialStatus.COUNTED)
    names = f" ({', '.join(failed_drugs)})" if failed_drugs else ""
    steps.append(f"Failed adequate trials in the current episode: {failed}{names}")
    not_coded = [j.trial.drug for j in judgements if j.trial.concept is None]
    if not_coded:
        steps.append(f"Not coded (not counted until reviewed): {', '.join(not_coded)}")
    agents = [j.trial.drug for j in judgements if j.status is TrialStatus.AUGMENTATION_AGENT]
    if agents:
        steps.append(
            f"Augmentation agents entered as antidepressants (not counted; review the role): {', '.join(agents)}"
        )
    # Unclear trials, and not-coded ones a review could code, of a drug not yet counted could
    # each add one failure.
    could_add = len((unclear_drugs | set(not_coded_failures)) - set(counted))
    criterion: bool | None
    if failed >= required:
        criterion = True
        steps.append(f"{failed} >= {required} required: criterion met")
    elif failed + could_add >= required:
        criterion = None
        steps.append(
            f"{failed} < {required} required, but {could_add} unclear or not-coded trial(s) could change this: "
            "complete the record and review the drug names"
        )
    else:
        criterion = False
        steps.append(f"{failed} < {required} required: criterion not met")

    definition = _kleene_and(has_major_depressive_disorder, criterion)
    if has_major_depressive_disorder is None:
        steps.append("Major depressive disorder diagnosis not recorded")
    elif not has_major_depressive_disorder:
        steps.append("No major depressive disorder diagnosis: the definition does not apply")

    staging = None
    if staging_inputs is not None:
        staging, staging_steps = _staging(judgements, failed, staging_inputs)
        steps.extend(staging_steps)

    return TreatmentResistance(
        trials=tuple(judgements),
        failed_trial_count=failed,
        failed_drugs=failed_drugs,
        unclear_trial_count=sum(1 for j in judgements if j.status is TrialStatus.UNCLEAR),
        meets_failed_trial_criterion=criterion,
        meets_definition=definition,
        staging=staging,
        steps=tuple(steps),
        settings=settings,
    )


def _match_text(match: CloseMatch) -> str:
    concept = match.concept
    return match.name if match.name == concept.ingredient else f"{match.name} ({concept.ingredient})"


def _staging(
    judgements: Sequence[TrialJudgement], failed: int, inputs: MaudsleyInputs
) -> tuple[MaudsleyStage | None, tuple[str, ...]]:
    duration, severity, ect_used = (
        inputs.episode_duration_months,
        inputs.severity,
        inputs.ect_used,
    )
    if duration is None or severity is None or ect_used is None:
        missing = [
            name
            for name, value in (
                ("episode duration", duration),
                ("baseline severity", severity),
                ("ECT used", ect_used),
            )
            if value is None
        ]
        return None, (f"Maudsley staging not assessed: {', '.join(missing)} not recorded",)
    if failed < 1:
        return None, ("Maudsley staging not assessed: it starts at one failed antidepressant",)
    augmentation_used = any(j.status is TrialStatus.AUGMENTATION and j.trial.is_current_episode for j in judgements)
    stage = maudsley_stage(
        episode_duration_months=duration,
        severity=severity,
        failed_antidepressants=failed,
        augmentation_used=augmentation_used,
        ect_used=ect_used,
    )
    return stage, ("Maudsley Staging Method (informational):", *stage.steps)
