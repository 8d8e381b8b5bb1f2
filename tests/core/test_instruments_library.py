"""The instrument data files: each loads, validates, and carries what measures.md requires."""

from __future__ import annotations

import copy
from importlib.resources import files
from typing import Any

import pytest
import yaml

from ketaclinic.core.errors import NotFound
from ketaclinic.core.instruments import (
    Completeness,
    InstrumentDefinitionError,
    LicenseClass,
    TextSource,
    Wording,
    all_instruments,
    instrument,
    instrument_codes,
    load,
    parse_instrument,
    score_instrument,
)
from ketaclinic.core.instruments.consistency import check_instrument, check_library
from ketaclinic.core.instruments.definitions import Basis, NoTotal, RangeBands

REQUIRED_CODES = {
    "phq9",
    "phq2",
    "gad7",
    "gad2",
    "madrs",
    "qids_sr16",
    "cssrs_screener",
    "pcl5",
    "audit_c",
    "dast10",
    "who5",
    "cadss",
    "moaas",
    "rass",
}
CODES = sorted(REQUIRED_CODES)
REQUIRED_KEYS = (
    "code",
    "name",
    "versions",
    "scoring_rule_version",
    "completed_by",
    "recall_window",
    "wording",
    "license_class",
    "licence",
    "source",
    "items",
    "total",
    "loinc",
)

# measures.md §3, verbatim: (panel, total or key result, item codes).
VERIFIED_LOINC = {
    "phq9": ("44249-1", "44261-6", {1: "44250-9", 2: "44255-8", 9: "44260-8"}),
    # measures.md gives these as the PHQ-9 item 1 and 2 codes, which the PHQ-2 panel reuses.
    "phq2": ("55757-9", "55758-7", {1: "44250-9", 2: "44255-8"}),
    "gad7": ("69737-5", "70274-6", {1: "69725-0", 2: "68509-9"}),
    "audit_c": ("72109-2", "75626-2", {}),
    "dast10": ("82666-9", "82667-7", {}),
    "cssrs_screener": (
        "93373-9",
        "93374-7",
        {
            1: "93246-7",
            2: "93247-5",
            3: "93248-3",
            4: "93249-1",
            5: "93250-9",
            6: "93267-3",
            7: "93269-9",
        },
    ),
}
NO_VERIFIED_LOINC = ["gad2", "pcl5", "madrs", "qids_sr16", "who5", "cadss", "moaas", "rass"]

FULL_WORDING = {"phq9", "phq2", "gad7", "gad2", "pcl5", "audit_c"}
LICENSED_WORDING = {"cssrs_screener", "madrs", "qids_sr16", "dast10", "cadss", "who5"}
PARAPHRASED = {"moaas", "rass"}

# measures.md §4.
LICENSE_CLASSES = {
    "phq9": LicenseClass.FREE,
    "phq2": LicenseClass.FREE,
    "gad7": LicenseClass.FREE,
    "gad2": LicenseClass.FREE,
    "pcl5": LicenseClass.FREE,
    "audit_c": LicenseClass.ATTRIBUTION,
    "who5": LicenseClass.ATTRIBUTION,
    "dast10": LicenseClass.NONCOMMERCIAL,
    "qids_sr16": LicenseClass.GATED,
    "cssrs_screener": LicenseClass.GATED,
    "madrs": LicenseClass.GATED,
    "cadss": LicenseClass.GATED,
}

# Facts marked (unconfirmed) or "project default" in measures.md, as clinic settings.
CONFIGURABLE_DEFAULTS = [
    ("phq9", "prorate_max_missing", 0, Basis.UNCONFIRMED),
    ("phq9", "syndrome_item9_min", 2, Basis.UNCONFIRMED),
    ("gad7", "prorate_max_missing", 0, Basis.UNCONFIRMED),
    ("gad7", "remission_max_total", 4, Basis.UNCONFIRMED),
    ("madrs", "prorate_max_missing", 0, Basis.UNCONFIRMED),
    ("madrs", "item10_high_min", 4, Basis.PROJECT_DEFAULT),
    ("qids_sr16", "appetite_weight_partner_missing_as_zero", True, Basis.UNCONFIRMED),
    ("qids_sr16", "item12_urgent_min", 2, Basis.PROJECT_DEFAULT),
    ("pcl5", "provisional_cutoff", 33, Basis.PROJECT_DEFAULT),
    ("pcl5", "prorate_max_missing", 0, Basis.UNCONFIRMED),
    ("pcl5", "reliable_change_points", 5, Basis.UNCONFIRMED),
    ("pcl5", "meaningful_change_points", 10, Basis.UNCONFIRMED),
    ("audit_c", "skip_when_never", True, Basis.UNCONFIRMED),
    ("audit_c", "cutoff_sex_not_recorded", 3, Basis.PROJECT_DEFAULT),
    ("dast10", "prorate_max_missing", 0, Basis.UNCONFIRMED),
    ("who5", "prorate_max_missing", 0, Basis.UNCONFIRMED),
    ("who5", "likely_depression_max_percentage", 28, Basis.UNCONFIRMED),
    ("who5", "screen_any_item_low", False, Basis.UNCONFIRMED),
    ("who5", "meaningful_change_percentage_points", 10, Basis.UNCONFIRMED),
    ("moaas", "urgent_max_level", 2, Basis.PROJECT_DEFAULT),
    ("rass", "sedation_alert_max", -3, Basis.PROJECT_DEFAULT),
    ("rass", "agitation_alert_min", 2, Basis.PROJECT_DEFAULT),
]


def raw_file(code: str) -> dict[str, Any]:
    text = files("ketaclinic.core.instruments").joinpath(f"{code}.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


# --- the catalogue ---------------------------------------------------------------------------


def test_all_instruments_lists_every_required_scale():
    """all_instruments() returns every scale the issue asks for, in code order."""
    codes = [definition.code for definition in all_instruments()]
    assert set(codes) >= REQUIRED_CODES
    assert codes == sorted(codes)
    assert instrument_codes() == tuple(codes)


@pytest.mark.parametrize("code", CODES)
def test_load_reads_the_data_file_shipped_in_the_package(code):
    """Each instrument is a YAML file readable through importlib.resources."""
    assert files("ketaclinic.core.instruments").joinpath(f"{code}.yaml").is_file()
    assert load(code).code == code
    assert instrument(code) is load(code)


@pytest.mark.parametrize("code", ["nope", "PHQ9", "../phq9", "phq9.yaml", ""])
def test_load_raises_not_found_for_an_unknown_code(code):
    """An unknown or malformed instrument code is NotFound, never a file lookup."""
    with pytest.raises(NotFound) as raised:
        load(code)
    assert raised.value.code == "instrument_not_found"


# --- schema ----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", CODES)
def test_instrument_file_validates_against_the_schema(code):
    """Required keys are present, a source is cited, and the engine's checks find nothing."""
    data = raw_file(code)
    assert [key for key in REQUIRED_KEYS if key not in data] == []
    assert data["code"] == code
    definition = parse_instrument(data, origin=f"{code}.yaml")
    assert check_instrument(definition) == []
    assert definition.source.strip()
    assert definition.scoring_rule_version.strip()
    assert definition.versions
    assert definition.licence_note.strip()


@pytest.mark.parametrize("code", ["phq9", "gad7", "madrs", "qids_sr16", "dast10", "rass"])
def test_instrument_bands_cover_the_whole_score_range_once(code):
    """Every possible score falls in exactly one band: no gaps, no overlaps."""
    definition = load(code)
    assert isinstance(definition.bands, RangeBands)
    span = definition.score_ranges()[definition.bands.score]
    for value in range(span.minimum, span.maximum + 1):
        matching = [b.key for b in definition.bands.bands if b.minimum <= value <= b.maximum]
        assert len(matching) == 1, (value, matching)
    assert min(b.minimum for b in definition.bands.bands) == span.minimum
    assert max(b.maximum for b in definition.bands.bands) == span.maximum


@pytest.mark.parametrize("code", ["pcl5", "audit_c", "who5", "cadss", "phq2", "gad2", "moaas"])
def test_instrument_without_published_bands_has_none(code):
    """Scales with no adopted severity bands never show mild/moderate/severe labels."""
    assert load(code).bands is None


def test_instrument_library_short_forms_match_their_parent_items():
    """PHQ-2 and GAD-2 use exactly the options and wording of PHQ-9 and GAD-7 items 1-2."""
    assert check_library(all_instruments()) == []


@pytest.mark.parametrize("code", sorted(VERIFIED_LOINC))
def test_instrument_loinc_codes_match_the_measures_table(code):
    """Panel, total (or key result) and item LOINC codes are those of measures.md §3."""
    panel, key_result, items = VERIFIED_LOINC[code]
    codes = load(code).loinc
    assert codes.panel == panel
    assert (codes.band if code == "cssrs_screener" else codes.total) == key_result
    assert dict(codes.items) == items


@pytest.mark.parametrize("code", NO_VERIFIED_LOINC)
def test_instrument_without_verified_loinc_invents_no_code(code):
    """Where measures.md found no LOINC code, the file carries none and says why."""
    codes = load(code).loinc
    assert codes.panel is None
    assert codes.total is None
    assert "local code system" in codes.note


# --- licensing and wording -------------------------------------------------------------------


def test_instrument_full_wording_ships_only_for_the_free_scales():
    """wording: full only for PHQ-9, PHQ-2, GAD-7, GAD-2, PCL-5 and AUDIT-C."""
    by_wording = {w: {d.code for d in all_instruments() if d.wording is w} for w in Wording}
    assert by_wording[Wording.FULL] == FULL_WORDING
    assert by_wording[Wording.LICENSED] == LICENSED_WORDING
    assert by_wording[Wording.PARAPHRASE] == PARAPHRASED


@pytest.mark.parametrize("code", sorted(LICENSED_WORDING))
def test_licensed_instrument_ships_structure_without_item_text(code):
    """A licence-gated scale ships topics and scoring; a center admin loads the wording."""
    definition = load(code)
    assert definition.text_source is TextSource.ADMIN_SUPPLIED
    assert definition.instructions == {}
    assert all(not item.text for item in definition.items)
    assert all(item.topic.strip() for item in definition.items)
    assert all("text" not in entry for entry in raw_file(code)["items"])


@pytest.mark.parametrize("code", sorted(FULL_WORDING))
def test_full_wording_instrument_has_english_text_for_every_item_and_option(code):
    """Bundled wording covers every item, option label and the instructions in English."""
    definition = load(code)
    assert definition.text_source is TextSource.BUNDLED
    assert definition.instructions["en"]
    for item in definition.items:
        assert item.text["en"]
        assert all(option.label["en"] for option in item.options)


def test_instrument_bundles_no_unverified_spanish_wording():
    """Spanish PHQ-9/GAD-7 text could not be checked word for word, so none is bundled."""
    assert all("es" not in definition.languages for definition in all_instruments())
    assert any("Spanish" in note for note in load("phq9").notes)
    assert any("Spanish" in note for note in load("gad7").notes)


@pytest.mark.parametrize(("code", "license_class"), sorted(LICENSE_CLASSES.items()))
def test_instrument_license_class_follows_measures(code, license_class):
    """license_class is the one measures.md §4 gives the instrument."""
    assert load(code).license_class is license_class


@pytest.mark.parametrize("code", ["phq9", "phq2", "gad7", "gad2", "pcl5", "audit_c", "dast10", "who5"])
def test_instrument_requiring_credit_carries_an_attribution_line(code):
    """Free and attribution scales carry the credit line to print with them."""
    assert load(code).attribution


# --- clinical content ------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "key", "default", "basis"), CONFIGURABLE_DEFAULTS)
def test_instrument_unconfirmed_fact_is_a_setting_with_its_default(code, key, default, basis):
    """Anything (unconfirmed) or a project default in measures.md is a clinic setting."""
    spec = load(code).setting(key)
    assert spec is not None
    assert spec.default == default
    assert spec.basis is basis
    assert load(code).resolve_settings()[key] == default


@pytest.mark.parametrize(
    ("code", "safety_items"),
    [
        ("phq9", (9,)),
        ("qids_sr16", (12,)),
        ("madrs", (10,)),
        ("cssrs_screener", (1, 2, 3, 4, 5, 6, 7)),
        ("gad7", ()),
        ("phq2", ()),
    ],
)
def test_instrument_safety_items_follow_measures_rule_4(code, safety_items):
    """PHQ-9 item 9, QIDS item 12, MADRS item 10 and every C-SSRS answer are safety items."""
    assert load(code).safety_items == safety_items


@pytest.mark.parametrize("code", CODES)
def test_instrument_reverse_scored_items_are_declared(code):
    """Only DAST-10 item 3 is reverse-scored."""
    assert load(code).reverse_scored_items == ((3,) if code == "dast10" else ())


@pytest.mark.parametrize(
    ("code", "total_range"),
    [
        ("phq9", (0, 27)),
        ("phq2", (0, 6)),
        ("gad7", (0, 21)),
        ("gad2", (0, 6)),
        ("madrs", (0, 60)),
        ("qids_sr16", (0, 27)),
        ("pcl5", (0, 80)),
        ("audit_c", (0, 12)),
        ("dast10", (0, 10)),
        ("who5", (0, 25)),
        ("cadss", (0, 92)),
        ("moaas", (0, 5)),
        ("rass", (-5, 4)),
    ],
)
def test_instrument_total_range_matches_the_overview_table(code, total_range):
    """Total ranges are those of measures.md §1."""
    span = load(code).total_range
    assert span is not None
    assert (span.minimum, span.maximum) == total_range


def test_cssrs_screener_has_no_total():
    """The C-SSRS screener gives a risk band, never a total."""
    assert isinstance(load("cssrs_screener").total, NoTotal)


def test_cssrs_screener_offers_the_recent_and_since_last_contact_forms():
    """Both screener forms share questions and banding; the version records which was used."""
    assert [v.id for v in load("cssrs_screener").versions] == [
        "screener-recent",
        "screener-since-last-contact",
    ]


# --- the validator rejects broken files ------------------------------------------------------


def broken(change: str) -> dict[str, Any]:
    data = copy.deepcopy(raw_file("phq9"))
    match change:
        case "gap":
            data["bands"]["ranges"][1]["min"] = 6
        case "overlap":
            data["bands"]["ranges"][1]["min"] = 4
        case "short":
            data["bands"]["ranges"][-1]["max"] = 26
        case "no_source":
            del data["source"]
        case "total_range":
            data["total"]["range"] = [0, 30]
        case "unknown_item":
            data["flags"][0]["when"] = {"item": 12, "gt": 0}
        case "unknown_setting":
            data["total"]["prorate_max_missing"] = {"setting": "nope"}
        case "licensed_text":
            data["wording"] = "licensed"
        case "reserved_flag":
            data["flags"][0]["id"] = "safety_item_missing"
        case "bad_loinc":
            data["loinc"]["panel"] = "PHQ-9"
        case "unscored_total":
            data["total"]["items"] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
        case "unknown_key":
            data["colour"] = "blue"
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("gap", "gap at 5-5"),
        ("overlap", "overlaps"),
        ("short", "bands end at 26"),
        ("no_source", "missing required keys ['source']"),
        ("total_range", "total range is declared 0-30"),
        ("unknown_item", "unknown items [12]"),
        ("unknown_setting", "unknown setting 'nope'"),
        ("licensed_text", "must not ship item text"),
        ("reserved_flag", "raised by the engine itself"),
        ("bad_loinc", "not a LOINC code"),
        ("unscored_total", "scored items are"),
        ("unknown_key", "unknown keys ['colour']"),
    ],
)
def test_parse_instrument_rejects_an_incoherent_file(change, message):
    """Gaps, overlaps, missing sources and dangling references fail when the file loads."""
    with pytest.raises(InstrumentDefinitionError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_instrument(broken(change), origin="phq9.yaml")


def test_parse_instrument_scores_a_new_scale_from_data_alone():
    """A new scale needs only a data file: the engine scores it with no code change."""
    data = {
        "code": "toy3",
        "name": "Toy three-item scale",
        "short_name": "TOY-3",
        "versions": [{"id": "toy3-1", "recall_window": "today"}],
        "scoring_rule_version": "toy3-scoring-1",
        "completed_by": "self_report",
        "recall_window": "today",
        "direction": "higher_is_worse",
        "wording": "licensed",
        "license_class": "gated",
        "licence": "Test fixture.",
        "source": "Test fixture.",
        "option_sets": {"yn": [{"value": 1, "code": "yes"}, {"value": 0, "code": "no"}]},
        "items": [
            {"number": 1, "topic": "first", "options": "yn"},
            {"number": 2, "topic": "second", "options": "yn"},
            {"number": 3, "topic": "third, reversed", "options": "yn"},
        ],
        "reverse_scored_items": [3],
        "safety_items": [1],
        "total": {"rule": "sum", "range": [0, 3]},
        "bands": {
            "scheme": "toy",
            "source": "Test fixture.",
            "ranges": [
                {"min": 0, "max": 1, "key": "low", "label": "Low"},
                {"min": 2, "max": 3, "key": "high", "label": "High"},
            ],
        },
        "flags": [
            {
                "id": "toy_first_yes",
                "when": {"item": 1, "eq": 1},
                "level": "review",
                "action": "Look.",
                "basis": "project_default",
                "source": "Test fixture.",
            }
        ],
        "loinc": {"panel": None, "total": None, "note": "None."},
    }
    toy = parse_instrument(data, origin="toy3.yaml")
    result = score_instrument(toy, {1: 1, 2: 1, 3: 0})
    assert (result.total, result.severity, result.flags) == (3, "high", ("toy_first_yes",))
    assert result.completeness is Completeness.COMPLETE
    missing_safety = score_instrument(toy, {2: 0, 3: 1})
    assert missing_safety.total is None
    assert missing_safety.flags == ("safety_item_missing",)
