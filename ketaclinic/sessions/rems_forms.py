"""Forms for the REMS monitoring form, built from its versioned definition.

Every field is optional here: a draft may be partial. The service cleans and validates each value
against the definition, so the rules live in one place (``core/rems.py``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ketaclinic.core.rems import FieldKind, FormDefinition, FormField
from ketaclinic.sessions.models import RemsSubmission


def _form_field(field: FormField) -> forms.Field:
    attrs: dict[str, Any] = {}
    if field.kind in (FieldKind.YES_NO, FieldKind.CHOICE):
        widget: forms.Widget = (
            forms.RadioSelect(attrs={"class": "choice-row"}) if field.kind == FieldKind.YES_NO else forms.Select()
        )
        # A yes/no left unanswered is simply unticked; a select needs its empty choice.
        empty = [] if field.kind == FieldKind.YES_NO else [("", "—")]
        return forms.ChoiceField(label=field.label, required=False, choices=[*empty, *field.options], widget=widget)
    if field.kind == FieldKind.DATE:
        widget = forms.DateInput(attrs={"type": "date"})
    elif field.kind == FieldKind.INTEGER:
        widget = forms.NumberInput(attrs={"inputmode": "numeric", "min": field.minimum, "max": field.maximum})
    elif field.kind == FieldKind.BLOOD_PRESSURE:
        attrs = {"placeholder": "128/82", "inputmode": "numeric", "pattern": r"\d{2,3}\s*/\s*\d{2,3}"}
        widget = forms.TextInput(attrs=attrs)
    elif field.kind == FieldKind.PHONE:
        widget = forms.TextInput(attrs={"type": "tel"})
    elif field.kind == FieldKind.EMAIL:
        widget = forms.TextInput(attrs={"type": "email"})
    elif field.max_length > 200:
        widget = forms.Textarea(attrs={"rows": 2})
    else:
        widget = forms.TextInput(attrs={"maxlength": field.max_length})
    return forms.CharField(label=field.label, required=False, strip=True, widget=widget)


class RemsValuesForm(forms.Form):
    """One input per field of the definition; the draft's values as the initial data."""

    def __init__(self, *args: Any, definition: FormDefinition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.definition = definition
        for field in definition.fields:
            self.fields[field.key] = _form_field(field)

    def values(self) -> dict[str, Any]:
        """The posted values; a field left out of the post (an unanswered yes/no) keeps what the draft holds."""
        return {key: self.cleaned_data.get(key) for key in self.definition.keys if key in self.data}


class RemsSignForm(forms.Form):
    password = forms.CharField(
        label=_("Your password, to sign"),
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class RemsSubmissionForm(forms.Form):
    method = forms.ChoiceField(label=_("Sent by"), choices=RemsSubmission.Method.choices)
    confirmation = forms.CharField(label=_("Confirmation number or fax receipt"), required=False, max_length=100)
    submitted_at = forms.DateTimeField(
        label=_("Sent at"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
