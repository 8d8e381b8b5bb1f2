"""Rating scales mapped to FHIR R4, checked against the fhir.resources R4B models (R4-compatible)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.instruments import Instrument, TextSource, all_instruments, instrument, instrument_codes, score
from ketaclinic.fhir.questionnaires import (
    LOINC,
    ORDINAL_VALUE,
    AnswerSource,
    QuestionnaireAnswers,
    ResponseStatus,
    bundle_for,
    questionnaire_resource,
    questionnaire_response_resource,
    score_observation_resource,
)

RESPONSE_ID = "0d4f4a4e-8a43-4c39-9a4f-1a7b3c2e9b10"
PATIENT_ID = "7f1c2a9e-2b1d-4d8e-9a5c-3e4f5a6b7c8d"
NURSE_ID = "3b6e0c1d-5f2a-4e7b-8c9d-0a1b2c3d4e5f"
AUTHORED_AT = datetime(2026, 3, 2, 15, 4, tzinfo=UTC)
PHQ9_WORKED_EXAMPLE = dict(enumerate([2, 3, 2, 2, 1, 2, 1, 0, 1], start=1))
MADRS_WORKED_EXAMPLE = dict(enumerate([4, 4, 3, 4, 2, 3, 3, 4, 3, 2], start=1))


def administration(
    code: str,
    answers: Mapping[int, int | None],
    *,
    scored: bool = True,
    source: AnswerSource = AnswerSource.PATIENT,
    author_id: str | None = None,
    language: str = "en",
    status: ResponseStatus = ResponseStatus.COMPLETED,
    version: str | None = None,
) -> QuestionnaireAnswers:
    scale = instrument(code)
    form_version = version or scale.version
    return QuestionnaireAnswers(
        response_id=RESPONSE_ID,
        instrument_code=code,
        instrument_version=form_version,
        patient_id=PATIENT_ID,
        patient_display="Ana Díaz",
        author_id=author_id,
        source=source,
        language=language,
        status=status,
        authored_at=AUTHORED_AT,
        answers=answers,
        result=score(code, answers, version=form_version) if scored else None,
    )


def highest_answers(scale: Instrument) -> dict[int, int | None]:
    """Every item at its highest option, which also opens every skip branch (C-SSRS, AUDIT-C)."""
    return {item.number: item.value_range.maximum for item in scale.items}


def questions(resource: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [entry for entry in resource["item"] if entry["type"] == "choice"]


def answered_item(response: Mapping[str, Any], link_id: str) -> dict[str, Any]:
    return next(entry for entry in response["item"] if entry["linkId"] == link_id)


@pytest.mark.parametrize("code", instrument_codes())
def test_questionnaire_resource_validates_for_every_instrument(code):
    """Every shipped scale gives a valid R4 Questionnaire with one choice question per item."""
    scale = instrument(code)

    resource = questionnaire_resource(scale)

    Questionnaire.model_validate(resource)
    assert [entry["linkId"] for entry in questions(resource)] == [str(item.number) for item in scale.items]
    assert resource["url"].startswith("https://ketaclinic.org/fhir/Questionnaire/")
    assert resource["version"] == scale.version
    assert scale.licence_note in resource["copyright"]
    assert json.loads(json.dumps(resource)) == resource


@pytest.mark.parametrize("code", instrument_codes())
def test_questionnaire_response_and_observation_validate_for_every_instrument(code):
    """A fully answered administration of every scale maps to valid R4 resources and a Bundle."""
    scale = instrument(code)
    answers = administration(code, highest_answers(scale), source=AnswerSource.STAFF, author_id=NURSE_ID)

    bundle = bundle_for(answers, scale)

    Bundle.model_validate(bundle)
    QuestionnaireResponse.model_validate(questionnaire_response_resource(answers, scale))
    observation = score_observation_resource(answers, scale)
    assert observation is not None
    Observation.model_validate(observation)
    assert json.loads(json.dumps(bundle)) == bundle


def test_questionnaire_resource_phq9_carries_loinc_panel_item_and_total_codes():
    """PHQ-9 is coded with the LOINC panel, item 9 and a read-only total item (measures.md §3)."""
    resource = questionnaire_resource(instrument("phq9"))

    assert {"system": LOINC, "code": "44249-1"} in resource["code"]
    item_9 = next(entry for entry in resource["item"] if entry["linkId"] == "9")
    assert item_9["code"] == [{"system": LOINC, "code": "44260-8"}]
    total = resource["item"][-1]
    assert total == {
        "linkId": "total",
        "code": [{"system": LOINC, "code": "44261-6"}],
        "text": "Total score",
        "type": "integer",
        "readOnly": True,
    }


def test_questionnaire_resource_without_total_loinc_has_no_total_item():
    """A scale with no total LOINC code (MADRS) has no read-only total question."""
    resource = questionnaire_resource(instrument("madrs"))

    assert [entry for entry in resource["item"] if entry["linkId"] == "total"] == []
    assert all(coding["system"] != LOINC for coding in resource["code"])


def test_questionnaire_resource_options_carry_their_numeric_value():
    """Each answer option carries its value, negative levels included (RASS), as ordinalValue."""
    resource = questionnaire_resource(instrument("rass"))

    options = questions(resource)[0]["answerOption"]
    ordinals = [option["extension"][0] for option in options]
    assert {ordinal["url"] for ordinal in ordinals} == {ORDINAL_VALUE}
    assert sorted(ordinal["valueDecimal"] for ordinal in ordinals) == list(range(-5, 5))
    assert options[-1]["valueCoding"]["code"] == "unarousable"


def test_questionnaire_resource_full_wording_ships_published_text_and_instructions():
    """Free-to-ship wording (PHQ-9) is used verbatim, with the instructions as a display item."""
    scale = instrument("phq9")

    resource = questionnaire_resource(scale)

    assert resource["item"][0] == {"linkId": "instructions", "text": scale.instructions["en"], "type": "display"}
    assert questions(resource)[0]["text"] == "Little interest or pleasure in doing things"


@pytest.mark.parametrize(
    "code", [scale.code for scale in all_instruments() if scale.text_source is TextSource.ADMIN_SUPPLIED]
)
def test_questionnaire_resource_licensed_wording_ships_topics_only(code):
    """A licence-gated scale (MADRS, QIDS-SR16, C-SSRS...) shows only our topic words."""
    scale = instrument(code)

    resource = questionnaire_resource(scale)

    topics = [item.topic[:1].upper() + item.topic[1:] for item in scale.items]
    assert [entry["text"] for entry in questions(resource)] == topics
    assert [entry for entry in resource["item"] if entry["type"] == "display"] == []
    assert "not bundled" in resource["description"]


def test_questionnaire_resource_madrs_is_licence_gated():
    """MADRS ships topic words, its licence note and no anchor wording."""
    scale = instrument("madrs")

    resource = questionnaire_resource(scale)

    assert questions(resource)[9]["text"] == "Suicidal thoughts"
    assert resource["copyright"] == scale.licence_note
    assert all("display" not in option["valueCoding"] for option in questions(resource)[0]["answerOption"])


def test_questionnaire_resource_cssrs_branching_becomes_enable_when():
    """C-SSRS Q3-Q5 open only after Q2 yes, and Q6b only after Q6 yes."""
    resource = questionnaire_resource(instrument("cssrs_screener"))

    by_link = {entry["linkId"]: entry for entry in questions(resource)}
    assert [rule["question"] for rule in by_link["3"]["enableWhen"]] == ["2"]
    assert by_link["3"]["enableWhen"][0]["answerCoding"]["code"] == "yes"
    assert by_link["7"]["prefix"] == "6b"
    assert [rule["question"] for rule in by_link["7"]["enableWhen"]] == ["6"]
    assert "enableWhen" not in by_link["2"]


def test_questionnaire_resource_audit_c_skip_follows_clinic_setting():
    """AUDIT-C items 2-3 open on any drinking answer, unless the clinic turned the skip off."""
    scale = instrument("audit_c")

    with_skip = questions(questionnaire_resource(scale))
    without_skip = questions(questionnaire_resource(scale, settings={"skip_when_never": False}))

    assert [rule["answerCoding"]["code"] for rule in with_skip[1]["enableWhen"]] == [
        "monthly_or_less",
        "two_to_four_a_month",
        "two_to_three_a_week",
        "four_or_more_a_week",
    ]
    assert with_skip[1]["enableBehavior"] == "any"
    assert "enableWhen" not in without_skip[1]


def test_questionnaire_resource_selects_a_named_form_version():
    """The C-SSRS "since last contact" form is its own Questionnaire version."""
    resource = questionnaire_resource(instrument("cssrs_screener"), version="screener-since-last-contact")

    assert resource["version"] == "screener-since-last-contact"
    assert resource["id"] == "cssrs-screener"


def test_questionnaire_resource_rejects_an_unknown_form_version():
    """Asking for a form version the scale does not have is refused."""
    with pytest.raises(RuleViolation) as raised:
        questionnaire_resource(instrument("phq9"), version="phq9-1999")

    assert raised.value.code == "unknown_instrument_version"


def test_questionnaire_response_resource_phq9_worked_example():
    """The PHQ-9 worked example maps to a valid response whose codings mirror the options."""
    scale = instrument("phq9")
    answers = administration("phq9", PHQ9_WORKED_EXAMPLE)

    response = questionnaire_response_resource(answers, scale)

    QuestionnaireResponse.model_validate(response)
    assert response["questionnaire"] == "https://ketaclinic.org/fhir/Questionnaire/phq9|phq9-2001"
    assert response["status"] == "completed"
    assert response["subject"] == {"reference": f"Patient/{PATIENT_ID}", "display": "Ana Díaz"}
    assert response["author"] == response["source"] == response["subject"]
    assert response["authored"] == "2026-03-02T15:04:00Z"
    item_9 = answered_item(response, "9")["answer"][0]["valueCoding"]
    option = questions(questionnaire_resource(scale))[8]["answerOption"][1]
    assert {key: item_9[key] for key in ("system", "code", "display")} == option["valueCoding"]
    assert item_9["extension"] == option["extension"] == [{"url": ORDINAL_VALUE, "valueDecimal": 1}]
    assert answered_item(response, "total")["answer"] == [{"valueInteger": 14}]


def test_questionnaire_response_resource_omits_unanswered_items():
    """Unanswered items are left out of an in-progress response, and so is the total."""
    answers = administration("phq9", {1: 2, 2: 3, 3: None}, scored=False, status=ResponseStatus.IN_PROGRESS)

    response = questionnaire_response_resource(answers, instrument("phq9"))

    QuestionnaireResponse.model_validate(response)
    assert [entry["linkId"] for entry in response["item"]] == ["1", "2"]
    assert response["status"] == "in-progress"


def test_questionnaire_response_resource_with_no_answers_has_no_items():
    """A response opened but not yet answered has no item list at all."""
    answers = administration("gad7", {}, scored=False, status=ResponseStatus.IN_PROGRESS)

    response = questionnaire_response_resource(answers, instrument("gad7"))

    QuestionnaireResponse.model_validate(response)
    assert "item" not in response


def test_questionnaire_response_resource_spanish_sets_language_without_english_text():
    """A Spanish response is tagged "es" and carries no English wording."""
    answers = administration("phq9", PHQ9_WORKED_EXAMPLE, language="es")

    response = questionnaire_response_resource(answers, instrument("phq9"))

    QuestionnaireResponse.model_validate(response)
    assert response["language"] == "es"
    assert all("text" not in entry for entry in response["item"])


def test_questionnaire_response_resource_staff_entry_names_the_practitioner_as_author():
    """Staff entering a patient's answers are the author; the patient stays the source."""
    answers = administration("phq9", PHQ9_WORKED_EXAMPLE, source=AnswerSource.STAFF, author_id=NURSE_ID)

    response = questionnaire_response_resource(answers, instrument("phq9"))

    assert response["author"] == {"reference": f"Practitioner/{NURSE_ID}"}
    assert response["source"]["reference"] == f"Patient/{PATIENT_ID}"


def test_questionnaire_response_resource_clinician_rating_has_the_clinician_as_source():
    """A clinician-rated scale (MADRS) names the rater as author and source."""
    answers = administration("madrs", MADRS_WORKED_EXAMPLE, source=AnswerSource.CLINICIAN, author_id=NURSE_ID)

    response = questionnaire_response_resource(answers, instrument("madrs"))

    assert response["author"] == response["source"] == {"reference": f"Practitioner/{NURSE_ID}"}


def test_questionnaire_response_resource_cssrs_leaves_skipped_questions_out():
    """C-SSRS questions skipped by the branching are absent, never sent as "no"."""
    answers = administration("cssrs_screener", {1: 0, 2: 0, 6: 1, 7: 1})

    response = questionnaire_response_resource(answers, instrument("cssrs_screener"))

    QuestionnaireResponse.model_validate(response)
    assert [entry["linkId"] for entry in response["item"]] == ["1", "2", "6", "7"]


def test_questionnaire_answers_clinician_source_requires_an_author():
    """Answers given through a clinician cannot be recorded without the clinician."""
    with pytest.raises(RuleViolation) as raised:
        administration("madrs", MADRS_WORKED_EXAMPLE, source=AnswerSource.CLINICIAN)

    assert raised.value.code == "author_required"


def test_questionnaire_answers_rejects_a_naive_authored_time():
    """The time the answers were given must carry a time zone."""
    with pytest.raises(RuleViolation) as raised:
        QuestionnaireAnswers(
            response_id=RESPONSE_ID,
            instrument_code="gad7",
            instrument_version="gad7-2006",
            patient_id=PATIENT_ID,
            patient_display="Ana Díaz",
            author_id=None,
            source=AnswerSource.PATIENT,
            language="en",
            status=ResponseStatus.IN_PROGRESS,
            authored_at=datetime(2026, 3, 2, 15, 4),
            answers={},
            result=None,
        )

    assert raised.value.code == "naive_datetime"


def test_questionnaire_response_resource_writes_authored_time_in_utc():
    """A time given in another zone is written as UTC."""
    answers = administration("gad7", {}, scored=False, status=ResponseStatus.IN_PROGRESS)
    pacific = answers.authored_at.astimezone(timezone(timedelta(hours=-8)))
    in_pacific = replace(answers, authored_at=pacific)

    response = questionnaire_response_resource(in_pacific, instrument("gad7"))

    assert response["authored"] == "2026-03-02T15:04:00Z"


def test_questionnaire_response_resource_rejects_an_answer_outside_the_options():
    """A value the item does not offer is refused rather than exported."""
    answers = administration("phq9", {1: 4}, scored=False, status=ResponseStatus.IN_PROGRESS)

    with pytest.raises(RuleViolation) as raised:
        questionnaire_response_resource(answers, instrument("phq9"))

    assert raised.value.code == "answer_not_an_option"


def test_questionnaire_response_resource_rejects_a_result_for_other_answers():
    """A score computed from different answers cannot be exported with these ones."""
    answers = administration("phq9", PHQ9_WORKED_EXAMPLE)
    mismatched = replace(answers, answers=PHQ9_WORKED_EXAMPLE | {9: 0})

    with pytest.raises(RuleViolation) as raised:
        questionnaire_response_resource(mismatched, instrument("phq9"))

    assert raised.value.code == "result_does_not_match_answers"


def test_questionnaire_response_resource_rejects_another_instrument():
    """Answers to one scale cannot be mapped with another scale's definition."""
    answers = administration("phq9", PHQ9_WORKED_EXAMPLE)

    with pytest.raises(RuleViolation) as raised:
        questionnaire_response_resource(answers, instrument("gad7"))

    assert raised.value.code == "instrument_mismatch"


def test_score_observation_resource_phq9_worked_example():
    """PHQ-9 [2,3,2,2,1,2,1,0,1] is LOINC 44261-6 = 14, moderate, with the item 9 flag noted."""
    answers = administration("phq9", PHQ9_WORKED_EXAMPLE)

    observation = score_observation_resource(answers, instrument("phq9"))

    assert observation is not None
    Observation.model_validate(observation)
    assert observation["status"] == "final"
    assert observation["category"][0]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
        "code": "survey",
        "display": "Survey",
    }
    assert observation["code"]["coding"][0] == {"system": LOINC, "code": "44261-6"}
    assert observation["valueInteger"] == 14
    assert observation["interpretation"][0]["coding"][0]["code"] == "moderate"
    assert observation["effectiveDateTime"] == "2026-03-02T15:04:00Z"
    assert observation["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{RESPONSE_ID}"}]
    assert any("phq9_item9_positive" in note["text"] for note in observation["note"])


def test_score_observation_resource_incomplete_response_has_no_observation():
    """A PHQ-9 with item 5 missing has no total, so no Observation."""
    answers = administration("phq9", PHQ9_WORKED_EXAMPLE | {5: None}, status=ResponseStatus.IN_PROGRESS)

    assert score_observation_resource(answers, instrument("phq9")) is None


def test_score_observation_resource_in_progress_without_result_has_no_observation():
    """Nothing is scored while the form is in progress."""
    answers = administration("phq9", {1: 2}, scored=False, status=ResponseStatus.IN_PROGRESS)

    assert score_observation_resource(answers, instrument("phq9")) is None


def test_score_observation_resource_without_total_loinc_uses_the_local_code():
    """MADRS has no LOINC code, so its total of 32 carries only the local score code."""
    answers = administration("madrs", MADRS_WORKED_EXAMPLE, source=AnswerSource.CLINICIAN, author_id=NURSE_ID)

    observation = score_observation_resource(answers, instrument("madrs"))

    assert observation is not None
    Observation.model_validate(observation)
    assert observation["code"]["coding"] == [
        {
            "system": "https://ketaclinic.org/fhir/CodeSystem/rating-scale-scores",
            "code": "madrs.total",
            "display": "MADRS total score",
        }
    ]
    assert observation["valueInteger"] == 32
    assert observation["interpretation"][0]["text"] == "Moderate depression"
    assert observation["performer"] == [{"reference": f"Practitioner/{NURSE_ID}"}]


def test_score_observation_resource_who5_reports_the_percentage_as_a_component():
    """WHO-5 [3,2,2,1,3] is raw 11 with a 44% component."""
    answers = administration("who5", dict(enumerate([3, 2, 2, 1, 3], start=1)))

    observation = score_observation_resource(answers, instrument("who5"))

    assert observation is not None
    assert observation["valueInteger"] == 11
    assert [component["valueInteger"] for component in observation["component"]] == [44]


def test_score_observation_resource_cssrs_reports_the_risk_level():
    """C-SSRS example (b), Q6 yes within 3 months, is a high risk level under LOINC 93374-7."""
    answers = administration("cssrs_screener", {1: 0, 2: 0, 6: 1, 7: 1}, source=AnswerSource.STAFF, author_id=NURSE_ID)

    observation = score_observation_resource(answers, instrument("cssrs_screener"))

    assert observation is not None
    Observation.model_validate(observation)
    assert observation["code"]["coding"][0] == {"system": LOINC, "code": "93374-7"}
    assert observation["valueCodeableConcept"]["coding"][0]["code"] == "high"
    assert "valueInteger" not in observation
    assert any("cssrs_risk_high" in note["text"] for note in observation["note"])


def test_score_observation_resource_entered_in_error_response_marks_the_score_too():
    """Withdrawing a response withdraws its score."""
    given = dict(enumerate([3, 2, 2, 2, 1, 1, 1], start=1))
    answers = administration("gad7", given, status=ResponseStatus.ENTERED_IN_ERROR)

    observation = score_observation_resource(answers, instrument("gad7"))

    assert observation is not None
    assert observation["status"] == "entered-in-error"
    assert observation["code"]["coding"][0] == {"system": LOINC, "code": "70274-6"}
    assert observation["valueInteger"] == 12


def test_score_observation_resource_prorated_total_is_noted():
    """A total prorated under a clinic setting says so in a note."""
    scale = instrument("phq9")
    given = PHQ9_WORKED_EXAMPLE | {5: None}
    answers = administration("phq9", given, scored=False)
    prorated = replace(answers, result=score("phq9", given, {"prorate_max_missing": 1}))

    observation = score_observation_resource(prorated, scale)

    assert observation is not None
    assert observation["valueInteger"] == 15
    assert any(note["text"].startswith("Total prorated") for note in observation["note"])


def test_score_observation_resource_id_is_stable():
    """Mapping the same response twice gives the same Observation id."""
    answers = administration("phq9", PHQ9_WORKED_EXAMPLE)

    first = score_observation_resource(answers, instrument("phq9"))
    second = score_observation_resource(answers, instrument("phq9"))

    assert first is not None
    assert second is not None
    assert first["id"] == second["id"] != RESPONSE_ID


def test_bundle_for_phq9_worked_example_collects_response_and_score():
    """The Bundle holds the response then its score, and survives a JSON round trip."""
    answers = administration("phq9", PHQ9_WORKED_EXAMPLE)

    bundle = bundle_for(answers, instrument("phq9"))

    Bundle.model_validate(bundle)
    assert bundle["type"] == "collection"
    assert [entry["resource"]["resourceType"] for entry in bundle["entry"]] == ["QuestionnaireResponse", "Observation"]
    assert bundle["entry"][0]["fullUrl"] == f"https://ketaclinic.org/fhir/QuestionnaireResponse/{RESPONSE_ID}"
    assert json.loads(json.dumps(bundle)) == bundle


def test_bundle_for_in_progress_response_holds_only_the_response():
    """An unscored response travels alone, under the server base given."""
    answers = administration("phq9", {1: 2}, scored=False, status=ResponseStatus.IN_PROGRESS)

    bundle = bundle_for(answers, instrument("phq9"), server_base="https://clinic.example/fhir/")

    Bundle.model_validate(bundle)
    assert [entry["fullUrl"] for entry in bundle["entry"]] == [
        f"https://clinic.example/fhir/QuestionnaireResponse/{RESPONSE_ID}"
    ]
