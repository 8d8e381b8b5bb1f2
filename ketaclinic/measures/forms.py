from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ketaclinic.core import instruments as library
from ketaclinic.measures.models import ResponseSource
from ketaclinic.measures.wording import LANGUAGE_CHOICES, QuestionnaireText, parse_option_labels

COMPLETED_BY_LABELS = {
    library.CompletedBy.SELF_REPORT: _("self-report"),
    library.CompletedBy.CLINICIAN: _("clinician-rated"),
    library.CompletedBy.SELF_REPORT_OR_CLINICIAN: _("self-report or interview"),
}


class QuestionnaireForm(forms.Form):
    """One radio group per item, in the instrument's own order; every item may be left blank.

    Without loaded wording (a licensed scale) the staff form shows each item's topic.
    """

    def __init__(
        self,
        *args: Any,
        instrument: library.Instrument,
        text: QuestionnaireText | None,
        initial_answers: dict[int, int | None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        text = text or QuestionnaireText(language="en", items={})
        for item in instrument.items:
            self.fields[f"item_{item.number}"] = forms.TypedChoiceField(
                label=f"{item.display_number}. {text.item_text(item)}",
                choices=[(str(option.value), text.option_label(item, option)) for option in item.options],
                coerce=int,
                required=False,
                empty_value=None,
                widget=forms.RadioSelect,
            )
            if initial_answers and initial_answers.get(item.number) is not None:
                self.initial[f"item_{item.number}"] = str(initial_answers[item.number])

    def answers(self) -> dict[int, int | None]:
        return {item.number: self.cleaned_data.get(f"item_{item.number}") for item in self.instrument.items}


class StaffEntryForm(forms.Form):
    source = forms.ChoiceField(label=_("Who answered"), choices=ResponseSource.choices)


class LinkRequestForm(forms.Form):
    instrument = forms.ChoiceField(label=_("Questionnaire"))
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)

    def __init__(self, *args: Any, instruments: list[library.Instrument], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instrument"].choices = [(i.code, i.short_name) for i in instruments]  # type: ignore[attr-defined]


class InstrumentChoiceForm(forms.Form):
    instrument = forms.ChoiceField(label=_("Questionnaire"))

    def __init__(self, *args: Any, instruments: list[library.Instrument], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instrument"].choices = [  # type: ignore[attr-defined]
            (i.code, f"{i.short_name} ({COMPLETED_BY_LABELS[i.completed_by]})") for i in instruments
        ]
        self.fields["instrument"].initial = "phq9"


class DateInput(forms.DateInput):
    input_type = "date"


class ScheduleForm(forms.Form):
    instruments = forms.MultipleChoiceField(label=_("Questionnaires"), widget=forms.CheckboxSelectMultiple)
    baseline_on = forms.DateField(label=_("Baseline due"), widget=DateInput())
    session_dates = forms.CharField(
        label=_("Planned treatment session dates"),
        required=False,
        help_text=_("One date per line or separated by commas, as YYYY-MM-DD."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    maintenance_starts_on = forms.DateField(label=_("Maintenance starts"), required=False, widget=DateInput())

    def __init__(self, *args: Any, instruments: list[library.Instrument], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instruments"].choices = [(i.code, i.short_name) for i in instruments]  # type: ignore[attr-defined]

    def clean_session_dates(self) -> tuple[dt.date, ...]:
        text = self.cleaned_data["session_dates"].replace(",", "\n")
        dates = []
        for line in filter(None, (part.strip() for part in text.splitlines())):
            try:
                dates.append(dt.date.fromisoformat(line))
            except ValueError:
                raise forms.ValidationError(
                    _("%(value)s is not a date (YYYY-MM-DD)."), params={"value": line}
                ) from None
        return tuple(sorted(set(dates)))


class DateOfBirthForm(forms.Form):
    date_of_birth = forms.DateField(label=_("Your date of birth"), widget=DateInput())


class AcknowledgeForm(forms.Form):
    action_taken = forms.CharField(
        label=_("What did you do?"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text=_("For example: called the patient, completed a C-SSRS, safety plan reviewed."),
    )


class WordingForm(forms.Form):
    licence_reference = forms.CharField(label=_("Licence or permission"), max_length=200)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)
    instructions = forms.CharField(label=_("Instructions"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    option_labels = forms.CharField(
        label=_("Answer labels"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line: 'value = label' for every item, or 'item.value = label' for one item."),
    )

    def __init__(self, *args: Any, instrument: library.Instrument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for item in instrument.items:
            self.fields[f"item_{item.number}"] = forms.CharField(
                label=f"{item.display_number}. {item.topic}", widget=forms.Textarea(attrs={"rows": 2})
            )

    def item_texts(self) -> dict[int, str]:
        return {item.number: self.cleaned_data[f"item_{item.number}"] for item in self.instrument.items}

    def labels(self) -> dict[int, dict[int, str]]:
        return parse_option_labels(self.cleaned_data.get("option_labels", ""), self.instrument)
