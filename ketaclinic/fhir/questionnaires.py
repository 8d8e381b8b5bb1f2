"""Rating scales as FHIR R4 Questionnaire, QuestionnaireResponse, Observation and Bundle.

Canonical URLs and local code systems live under ``https://ketaclinic.org/fhir``. LOINC codes
come only from the instrument data files (measures.md §3): anything without a verified LOINC
code gets a local code, never a made-up LOINC number. Item wording ships only where the data
file bundles it (measures.md §4); a licence-gated scale is described by our own topic words,
and its licence note travels in ``Questionnaire.copyright``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.instruments import Completeness, Instrument, Item, ScoreResult, TextSource
from ketaclinic.core.instruments.conditions import ItemIs, LiteralThreshold, SettingValue
from ketaclinic.core.instruments.consistency import SAFETY_ITEM_MISSING
from ketaclinic.core.instruments.definitions import AnswerOption, DomainSumTotal, NoTotal

type Resource = dict[str, Any]

CANONICAL_BASE = "https://ketaclinic.org/fhir"
LOINC = "http://loinc.org"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
RATING_SCALES = f"{CANONICAL_BASE}/CodeSystem/rating-scales"
RATING_SCALE_SCORES = f"{CANONICAL_BASE}/CodeSystem/rating-scale-scores"
SCORING_RULES = f"{CANONICAL_BASE}/CodeSystem/scoring-rules"

ENGLISH = "en"
TOTAL_LINK_ID = "total"
INSTRUCTIONS_LINK_ID = "instructions"

# FHIR ids allow letters, digits, "-" and "." only; instrument codes use "_" (qids_sr16).
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


class AnswerSource(StrEnum):
    """Who gave the answers: the patient on their own, staff on the patient's behalf, or a rater."""

    PATIENT = "patient"
    STAFF = "staff"
    CLINICIAN = "clinician"


class ResponseStatus(StrEnum):
    """The FHIR R4 QuestionnaireResponse status codes."""

    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    AMENDED = "amended"
    ENTERED_IN_ERROR = "entered-in-error"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class QuestionnaireAnswers:
    """One administration of a rating scale, finished or not, ready to be mapped to FHIR.

    ``author_id`` is the staff member who recorded the answers, or ``None`` when the patient
    entered them. ``answers`` maps the 1-based item number to the raw option value; ``result``
    is the scoring engine's verdict, or ``None`` while the form is in progress.
    """

    response_id: str
    instrument_code: str
    instrument_version: str
    patient_id: str
    patient_display: str
    author_id: str | None
    source: AnswerSource
    language: str
    status: ResponseStatus
    authored_at: datetime
    answers: Mapping[int, int | None]
    result: ScoreResult | None

    def __post_init__(self) -> None:
        for field, value in (("response_id", self.response_id), ("patient_id", self.patient_id)):
            _require_fhir_id(field, value)
        if self.author_id is not None:
            _require_fhir_id("author_id", self.author_id)
        if self.source not in {member.value for member in AnswerSource}:
            raise RuleViolation(
                f"Answer source {self.source!r} is not one of patient, staff or clinician.",
                code="invalid_answer_source",
                field="source",
            )
        if self.status not in {member.value for member in ResponseStatus}:
            raise RuleViolation(
                f"Response status {self.status!r} is not a FHIR QuestionnaireResponse status.",
                code="invalid_response_status",
                field="status",
            )
        if AnswerSource(self.source) is not AnswerSource.PATIENT and self.author_id is None:
            raise RuleViolation(
                "Answers given through staff or a clinician need the staff member who recorded them.",
                code="author_required",
                field="author_id",
            )
        if self.authored_at.tzinfo is None or self.authored_at.utcoffset() is None:
            raise RuleViolation(
                "The time the answers were given must carry a time zone.",
                code="naive_datetime",
                field="authored_at",
            )
        if not self.language:
            raise RuleViolation("A response needs its language.", code="language_required", field="language")


# --- identity ----------------------------------------------------------------------------


def fhir_id(code: str) -> str:
    """The FHIR id for one of our codes: ``qids_sr16`` becomes ``qids-sr16``."""
    return code.replace("_", "-")


def questionnaire_url(instrument: Instrument) -> str:
    return f"{CANONICAL_BASE}/Questionnaire/{fhir_id(instrument.code)}"


def answer_code_system(instrument: Instrument) -> str:
    """The local code system of an instrument's answer options (code = the option's code)."""
    return f"{CANONICAL_BASE}/CodeSystem/{fhir_id(instrument.code)}-answers"


def band_code_system(scheme: str) -> str:
    """The local code system of one band scheme (code = the band's key)."""
    return f"{CANONICAL_BASE}/CodeSystem/bands-{fhir_id(scheme)}"


def score_observation_id(answers: QuestionnaireAnswers) -> str:
    """A stable id for the score Observation, so exporting a response twice gives the same id."""
    name = f"{CANONICAL_BASE}/QuestionnaireResponse/{answers.response_id}#score"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


# --- Questionnaire -----------------------------------------------------------------------


def questionnaire_resource(
    instrument: Instrument,
    *,
    version: str | None = None,
    settings: Mapping[str, object] | None = None,
) -> Resource:
    """The FHIR Questionnaire for ``instrument``'s form ``version`` (default: the first listed).

    Each instrument item becomes a ``choice`` question whose linkId is the item number and whose
    options carry their numeric value in the ``ordinalValue`` extension. Skip rules that compare
    one item with a fixed value become ``enableWhen``; ``settings`` are the clinic's overrides,
    which decide whether a switchable skip (AUDIT-C "never") applies. Instruments with a total
    LOINC code get a read-only ``total`` item.
    """
    form_version = _form_version(instrument, version)
    effective_settings = instrument.resolve_settings(settings)
    items: list[Resource] = []
    instructions = _instructions(instrument)
    if instructions is not None:
        items.append({"linkId": INSTRUCTIONS_LINK_ID, "text": instructions, "type": "display"})
    items += [_question(instrument, item, effective_settings) for item in instrument.items]
    if instrument.loinc.total is not None:
        items.append(
            {
                "linkId": TOTAL_LINK_ID,
                "code": [{"system": LOINC, "code": instrument.loinc.total}],
                "text": "Total score",
                "type": "integer",
                "readOnly": True,
            }
        )
    codes = [{"system": RATING_SCALES, "code": instrument.code, "display": instrument.name}]
    if instrument.loinc.panel is not None:
        codes.insert(0, {"system": LOINC, "code": instrument.loinc.panel})
    return {
        "resourceType": "Questionnaire",
        "id": fhir_id(instrument.code),
        "language": ENGLISH,
        "url": questionnaire_url(instrument),
        "version": form_version,
        "name": _computable_name(instrument.code),
        "title": instrument.name,
        "status": "active",
        "subjectType": ["Patient"],
        "description": _description(instrument),
        "copyright": _copyright(instrument),
        "code": codes,
        "item": items,
    }


def _question(instrument: Instrument, item: Item, settings: Mapping[str, SettingValue]) -> Resource:
    question: Resource = {"linkId": str(item.number)}
    if item.loinc is not None:
        question["code"] = [{"system": LOINC, "code": item.loinc}]
    question["prefix"] = item.display_number
    question["text"] = _item_text(instrument, item, ENGLISH)
    question["type"] = "choice"
    question["required"] = item.required
    question.update(_enable_when(instrument, item, settings))
    question["answerOption"] = [
        {"extension": [_ordinal(option)], "valueCoding": _answer_coding(instrument, option)} for option in item.options
    ]
    return question


def _enable_when(instrument: Instrument, item: Item, settings: Mapping[str, SettingValue]) -> Resource:
    """``enableWhen`` for a skip rule of the form "item N compared with a fixed value".

    The comparison becomes the list of trigger options that satisfy it, any one of which enables
    the item, because FHIR does not order codings. Other skip rules are left to the scoring
    engine, and the form shows the item.
    """
    condition = item.ask_when
    if condition is None or (item.skip_enabled_by is not None and settings[item.skip_enabled_by] is False):
        return {}
    if not isinstance(condition, ItemIs) or not isinstance(condition.comparison.threshold, LiteralThreshold):
        return {}
    trigger = instrument.item(condition.item)
    if trigger is None:
        return {}
    limit = condition.comparison.threshold.value
    enabling = [option for option in trigger.options if condition.comparison.comparator.holds(option.value, limit)]
    if not enabling:
        return {}
    return {
        "enableWhen": [
            {"question": str(trigger.number), "operator": "=", "answerCoding": _answer_coding(instrument, option)}
            for option in enabling
        ],
        "enableBehavior": "any",
    }


def _form_version(instrument: Instrument, version: str | None) -> str:
    if version is None:
        return instrument.version
    known = [form.id for form in instrument.versions]
    if version not in known:
        raise RuleViolation(
            f"{instrument.short_name} has no form version {version!r} (versions: {', '.join(known)}).",
            code="unknown_instrument_version",
            field="instrument_version",
        )
    return version


def _computable_name(code: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in code.split("_"))


def _description(instrument: Instrument) -> str:
    text = f"{instrument.name} ({instrument.short_name}); recall window: {instrument.recall_window}."
    if instrument.text_source is TextSource.ADMIN_SUPPLIED:
        text += (
            " The published wording is licensed and is not bundled: item texts are topics in our own"
            " words, and a center admin loads the licensed text once the clinic confirms its permission."
        )
    return f"{text} Source: {instrument.source}"


def _copyright(instrument: Instrument) -> str:
    if instrument.attribution is None:
        return instrument.licence_note
    return f"{instrument.licence_note}\n\n{instrument.attribution}"


def _instructions(instrument: Instrument) -> str | None:
    if instrument.text_source is not TextSource.BUNDLED:
        return None
    return instrument.instructions.get(ENGLISH)


def _item_text(instrument: Instrument, item: Item, language: str) -> str | None:
    """The wording to show in ``language``, or ``None`` when none ships in that language.

    Bundled wording is used when the data file has it; otherwise the topic, which is English.
    """
    if instrument.text_source is TextSource.BUNDLED and language in item.text:
        return item.text[language]
    if language == ENGLISH:
        return item.topic[:1].upper() + item.topic[1:]
    return None


def _answer_coding(instrument: Instrument, option: AnswerOption) -> Resource:
    coding: Resource = {"system": answer_code_system(instrument), "code": option.code}
    label = option.label.get(ENGLISH)
    if label:
        coding["display"] = label
    return coding


def _ordinal(option: AnswerOption) -> Resource:
    return {"url": ORDINAL_VALUE, "valueDecimal": option.value}


# --- QuestionnaireResponse ---------------------------------------------------------------


def questionnaire_response_resource(answers: QuestionnaireAnswers, instrument: Instrument) -> Resource:
    """The FHIR QuestionnaireResponse for one administration; unanswered items are left out.

    Each answer's ``valueCoding`` is the option's coding from the Questionnaire, with the
    numeric value as an ``ordinalValue`` extension. Item text is included only in the response
    language, so a Spanish response carries no English wording.
    """
    _check_answers(answers, instrument)
    items: list[Resource] = []
    for item in instrument.items:
        value = answers.answers.get(item.number)
        if value is None:
            continue
        option = item.option(value)
        assert option is not None  # checked by _check_answers
        entry: Resource = {"linkId": str(item.number)}
        text = _item_text(instrument, item, answers.language)
        if text is not None:
            entry["text"] = text
        coding = _answer_coding(instrument, option) | {"extension": [_ordinal(option)]}
        entry["answer"] = [{"valueCoding": coding}]
        items.append(entry)
    total = answers.result.total if answers.result is not None else None
    if instrument.loinc.total is not None and total is not None:
        entry = {"linkId": TOTAL_LINK_ID}
        if answers.language == ENGLISH:
            entry["text"] = "Total score"
        entry["answer"] = [{"valueInteger": total}]
        items.append(entry)
    resource: Resource = {
        "resourceType": "QuestionnaireResponse",
        "id": answers.response_id,
        "language": answers.language,
        "questionnaire": f"{questionnaire_url(instrument)}|{answers.instrument_version}",
        "status": str(answers.status),
        "subject": _patient_reference(answers),
        "authored": fhir_datetime(answers.authored_at),
        "author": _author_reference(answers),
        "source": _source_reference(answers),
    }
    if items:
        resource["item"] = items
    return resource


def _check_answers(answers: QuestionnaireAnswers, instrument: Instrument) -> None:
    if answers.instrument_code != instrument.code:
        raise RuleViolation(
            f"Answers for {answers.instrument_code!r} cannot be mapped with {instrument.short_name}.",
            code="instrument_mismatch",
            field="instrument_code",
        )
    _form_version(instrument, answers.instrument_version)
    for number, value in answers.answers.items():
        item = instrument.item(number)
        if item is None:
            raise RuleViolation(
                f"{instrument.short_name} has no item {number!r}.", code="unknown_item", field=f"item_{number}"
            )
        if value is not None and item.option(value) is None:
            raise RuleViolation(
                f"{instrument.short_name} item {item.display_number}: {value!r} is not one of its answer values.",
                code="answer_not_an_option",
                field=f"item_{number}",
            )
    result = answers.result
    if result is None:
        return
    given = {item.number: answers.answers.get(item.number) for item in instrument.items}
    scored = {item.number: result.answers.get(item.number) for item in instrument.items}
    if (
        result.instrument_code != instrument.code
        or result.instrument_version != answers.instrument_version
        or given != scored
    ):
        raise RuleViolation(
            "The score result was computed from different answers or a different form.",
            code="result_does_not_match_answers",
            field="result",
        )


def _patient_reference(answers: QuestionnaireAnswers) -> Resource:
    reference: Resource = {"reference": f"Patient/{answers.patient_id}"}
    if answers.patient_display:
        reference["display"] = answers.patient_display
    return reference


def _author_reference(answers: QuestionnaireAnswers) -> Resource:
    if answers.author_id is None:
        return _patient_reference(answers)
    return {"reference": f"Practitioner/{answers.author_id}"}


def _source_reference(answers: QuestionnaireAnswers) -> Resource:
    """Who the answers came from: the rater for clinician-rated scales, else the patient.

    Staff who read the questions aloud or copy a paper form are the author, not the source.
    """
    if AnswerSource(answers.source) is AnswerSource.CLINICIAN:
        return _author_reference(answers)
    return _patient_reference(answers)


def fhir_datetime(moment: datetime) -> str:
    """An aware moment as a FHIR dateTime in UTC (``...Z``)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def observation_category(code: str, display: str) -> list[Resource]:
    """An Observation's ``category`` from the HL7 observation-category code system."""
    return [{"coding": [{"system": OBSERVATION_CATEGORY, "code": code, "display": display}], "text": display}]


# --- Observation -------------------------------------------------------------------------


def score_observation_resource(answers: QuestionnaireAnswers, instrument: Instrument) -> Resource | None:
    """The FHIR Observation of the administration's score, or ``None`` when there is none yet.

    ``code`` is the instrument's total-score LOINC code when measures.md lists one, always
    alongside our local ``<instrument>.total`` code; scales with no total LOINC code carry the
    local code only, because a panel code names the whole form, not its score. The severity
    band is the ``interpretation``, subscales and derived scores (WHO-5 percentage) are
    components, and every flag raised is a note for the clinician.

    A scale with no total (C-SSRS screener) reports its band instead: ``code`` is the band
    LOINC code (suicide risk level) and the value is the band. ``None`` is returned when the
    total, or for such a scale the band, could not be computed.
    """
    _check_answers(answers, instrument)
    result = answers.result
    if result is None:
        return None
    observation: Resource = {
        "resourceType": "Observation",
        "id": score_observation_id(answers),
        "status": _observation_status(answers, result),
        "category": observation_category("survey", "Survey"),
    }
    if result.total is not None:
        observation["code"] = _total_code(instrument)
    elif isinstance(instrument.total, NoTotal) and result.severity is not None and instrument.loinc.band is not None:
        observation["code"] = _band_code(instrument)
    else:
        return None
    observation |= {
        "subject": _patient_reference(answers),
        "effectiveDateTime": fhir_datetime(answers.authored_at),
        "performer": [_source_reference(answers)],
    }
    band = _band_concept(result)
    if result.total is not None:
        observation["valueInteger"] = result.total
        if band is not None:
            observation["interpretation"] = [band]
    elif result.band_is_minimum:
        # An unfinished screen has no risk level yet, only a floor: coding it "low" would read as
        # the answer. The words carry the floor; the status stays preliminary.
        observation["valueString"] = _minimum_text(result)
    else:
        observation["valueCodeableConcept"] = band
    notes = _notes(instrument, result)
    if notes:
        observation["note"] = [{"text": note} for note in notes]
    observation["method"] = {
        "coding": [{"system": SCORING_RULES, "code": result.scoring_rule_version}],
        "text": f"{instrument.short_name} scoring rule {result.scoring_rule_version}",
    }
    observation["derivedFrom"] = [{"reference": f"QuestionnaireResponse/{answers.response_id}"}]
    components = _components(instrument, result)
    if components:
        observation["component"] = components
    return observation


def _observation_status(answers: QuestionnaireAnswers, result: ScoreResult) -> str:
    match ResponseStatus(answers.status):
        case ResponseStatus.ENTERED_IN_ERROR:
            return "entered-in-error"
        case ResponseStatus.AMENDED:
            return "amended"
        case ResponseStatus.COMPLETED if result.completeness is not Completeness.INCOMPLETE:
            return "final"
        case _:
            return "preliminary"


def _total_code(instrument: Instrument) -> Resource:
    codings = [_local_score_coding(instrument, "total", f"{instrument.short_name} total score")]
    if instrument.loinc.total is not None:
        codings.insert(0, {"system": LOINC, "code": instrument.loinc.total})
    return {"coding": codings, "text": f"{instrument.short_name} total score"}


def _band_code(instrument: Instrument) -> Resource:
    codings = [_local_score_coding(instrument, "band", f"{instrument.short_name} band")]
    if instrument.loinc.band is not None:
        codings.insert(0, {"system": LOINC, "code": instrument.loinc.band})
    return {"coding": codings, "text": f"{instrument.short_name} band"}


def _local_score_coding(instrument: Instrument, score_id: str, display: str) -> Resource:
    return {"system": RATING_SCALE_SCORES, "code": f"{instrument.code}.{score_id}", "display": display}


def _band_concept(result: ScoreResult) -> Resource | None:
    if result.severity is None or result.band_scheme is None:
        return None
    label = result.severity_label or result.severity
    return {
        "coding": [{"system": band_code_system(result.band_scheme), "code": result.severity, "display": label}],
        "text": _minimum_text(result) if result.band_is_minimum else label,
    }


def _minimum_text(result: ScoreResult) -> str:
    return f"Incomplete, at least {result.severity_label or result.severity}"


def _notes(instrument: Instrument, result: ScoreResult) -> list[str]:
    notes = [_flag_note(instrument, flag) for flag in result.flags]
    if result.completeness is Completeness.PRORATED:
        missing = ", ".join(str(number) for number in result.missing_items) or "none"
        notes.append(f"Total prorated from the answered items (unanswered items: {missing}).")
    if result.total is None and result.completeness is Completeness.INCOMPLETE:
        notes.append("Some questions are unanswered; their answers could still raise this band.")
    if result.band_could_rise_to:
        notes.append(f"Unanswered questions could still make the band {' or '.join(result.band_could_rise_to)}.")
    return notes


def _flag_note(instrument: Instrument, flag: str) -> str:
    for rule in instrument.flags:
        if rule.id == flag:
            return f"Flag {flag} ({rule.level.value}): {rule.action}"
    for screen in instrument.screens:
        if screen.flag == flag:
            return f"Flag {flag}: {screen.label}."
    if flag == SAFETY_ITEM_MISSING:
        return f"Flag {flag}: a safety question was left unanswered; ask it before relying on this result."
    return f"Flag {flag}."


def _components(instrument: Instrument, result: ScoreResult) -> list[Resource]:
    names = {subscale.id: subscale.name for subscale in instrument.subscales}
    names |= {derived.id: derived.name for derived in instrument.derived_scores}
    if isinstance(instrument.total, DomainSumTotal):
        names |= {domain.id: domain.name for domain in instrument.total.domains}
    components = []
    for score_id, value in (*result.subscales.items(), *result.derived_scores.items()):
        if value is None:
            continue
        name = names.get(score_id, score_id)
        components.append(
            {
                "code": {"coding": [_local_score_coding(instrument, score_id, name)], "text": name},
                "valueInteger": value,
            }
        )
    return components


# --- Bundle ------------------------------------------------------------------------------


def bundle_for(answers: QuestionnaireAnswers, instrument: Instrument, *, server_base: str = CANONICAL_BASE) -> Resource:
    """A collection Bundle of the QuestionnaireResponse and, when scored, its Observation.

    ``server_base`` is the FHIR base the entries' ``fullUrl`` values sit under, so the
    Observation's relative ``derivedFrom`` reference resolves inside the bundle.
    """
    resources = [questionnaire_response_resource(answers, instrument)]
    observation = score_observation_resource(answers, instrument)
    if observation is not None:
        resources.append(observation)
    return collection_bundle(resources, server_base)


def collection_bundle(resources: Iterable[Resource], server_base: str) -> Resource:
    """A collection Bundle whose entries' ``fullUrl`` values sit under ``server_base``."""
    base = server_base.rstrip("/")
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}", "resource": resource}
            for resource in resources
        ],
    }


def _require_fhir_id(field: str, value: str) -> None:
    if not isinstance(value, str) or _FHIR_ID.fullmatch(value) is None:
        raise RuleViolation(
            f"{field} {value!r} cannot be a FHIR id (letters, digits, '-' and '.', at most 64).",
            code="invalid_fhir_id",
            field=field,
        )
