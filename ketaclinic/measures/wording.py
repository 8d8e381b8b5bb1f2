"""The words a questionnaire is shown in: bundled with the scale, or loaded under licence.

A scale free to reproduce ships its English wording in its data file. Wording that may not
be shipped (a licensed scale, or a validated translation the project could not verify word
for word) is loaded by a center admin and kept per organization and language.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from ketaclinic.core import instruments as library
from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.instruments.definitions import AnswerOption
from ketaclinic.measures.models import InstrumentWording
from ketaclinic.patients.models import Patient

# The languages questionnaires, their links and reminders are offered in.
LANGUAGE_CHOICES = [("en", _("English")), ("es", _("Spanish"))]
LANGUAGES = tuple(code for code, _label in LANGUAGE_CHOICES)


def patient_language(patient: Patient) -> str:
    """The patient's preferred language when questionnaires speak it, else English."""
    return patient.preferred_language if patient.preferred_language in LANGUAGES else "en"


@dataclass(frozen=True, slots=True)
class QuestionnaireText:
    language: str
    items: dict[int, str]
    options: dict[int, dict[int, str]] = field(default_factory=dict)
    instructions: str = ""
    source: str = "bundled"

    def item_text(self, item: library.Item) -> str:
        return self.items.get(item.number) or item.topic

    def option_label(self, item: library.Item, option: AnswerOption) -> str:
        loaded = self.options.get(item.number, {}).get(option.value)
        return loaded or option.label.get(self.language) or option.label.get("en") or str(option.value)


def bundled_text(instrument: library.Instrument, language: str) -> QuestionnaireText | None:
    if instrument.wording is not library.Wording.FULL:
        return None
    items = {item.number: item.text.get(language, "") for item in instrument.items}
    labelled = all(option.label.get(language) for item in instrument.items for option in item.options)
    if not all(items.values()) or not labelled:
        return None
    return QuestionnaireText(
        language=language, items=items, instructions=instrument.instructions.get(language, ""), source="bundled"
    )


def loaded_text(wording: InstrumentWording) -> QuestionnaireText:
    return QuestionnaireText(
        language=wording.language,
        items={int(number): text for number, text in wording.item_texts.items()},
        options={
            int(number): {int(value): label for value, label in labels.items()}
            for number, labels in wording.option_labels.items()
        },
        instructions=wording.instructions,
        source=f"loaded {wording.loaded_at:%Y-%m-%d} under {wording.licence_reference}",
    )


def parse_option_labels(text: str, instrument: library.Instrument) -> dict[int, dict[int, str]]:
    """Read lines like ``0 = Ningún día`` (every item) or ``10.0 = Nada difícil`` (one item)."""
    labels: dict[int, dict[int, str]] = {}
    for number, line in enumerate(filter(None, (raw.strip() for raw in text.splitlines())), start=1):
        key, separator, label = line.partition("=")
        item_part, dot, value_part = key.strip().rpartition(".")
        try:
            value = int(value_part)
            items = [int(item_part)] if dot else [item.number for item in instrument.items]
        except ValueError:
            raise RuleViolation(
                f"Line {number}: write 'value = label' or 'item.value = label'.",
                code="labels_unreadable",
                field="option_labels",
            ) from None
        if not separator or not label.strip():
            raise RuleViolation(f"Line {number} has no label.", code="labels_unreadable", field="option_labels")
        for item_number in items:
            item = instrument.item(item_number)
            if item is None or value not in item.values:
                if dot:
                    raise RuleViolation(
                        f"Line {number}: item {item_number} has no answer worth {value}.",
                        code="labels_unreadable",
                        field="option_labels",
                    )
                continue
            labels.setdefault(item_number, {})[value] = label.strip()
    return labels
