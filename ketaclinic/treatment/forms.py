from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ketaclinic.core.dosing import PROTOCOL_DEFAULTS
from ketaclinic.core.instruments import all_instruments
from ketaclinic.patients.forms import DateInput
from ketaclinic.treatment.models import TreatmentPlan


class PlanForm(forms.ModelForm):
    protocol_key = forms.ChoiceField(label=_("Protocol"))
    measurement_instruments = forms.MultipleChoiceField(
        label=_("Questionnaires to schedule"), required=False, widget=forms.CheckboxSelectMultiple
    )
    change_reason = forms.CharField(
        label=_("Why this version"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed for every version after the first."),
    )
    password = forms.CharField(
        label=_("Your password, to sign"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    # Only for a cap above the protocol's mg ceiling: the medical director signs off in person.
    ceiling_director = forms.CharField(
        label=_("Medical director's username (cap above the protocol's ceiling only)"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    ceiling_director_password = forms.CharField(
        label=_("Medical director's password"),
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    ceiling_reason = forms.CharField(
        label=_("Why the cap may exceed the protocol's ceiling"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = TreatmentPlan
        fields = (
            "indication",
            "phase",
            "mg_per_kg",
            "cap_mg",
            "fixed_dose_mg",
            "planned_sessions",
            "min_spacing_days",
            "monitoring_interval_minutes",
            "min_observation_minutes",
            "goals",
            "re_evaluation_due_on",
            "ended_reason",
        )
        widgets = {
            "re_evaluation_due_on": DateInput(),
            "goals": forms.Textarea(attrs={"rows": 2}),
            "ended_reason": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["protocol_key"].choices = [  # type: ignore[attr-defined]
            (key, f"{key.replace('_', ' ')} ({protocol.route.value.replace('_', ' ')})")
            for key, protocol in PROTOCOL_DEFAULTS.items()
        ]
        self.fields["measurement_instruments"].choices = [  # type: ignore[attr-defined]
            (i.code, i.short_name) for i in all_instruments() if i.completed_by.value != "clinician"
        ]
        self.order_fields(["protocol_key", "indication", "phase"])
