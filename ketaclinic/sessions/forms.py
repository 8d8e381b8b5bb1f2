from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from ketaclinic.core.monitoring import RATINGS
from ketaclinic.sessions.models import TreatmentSession


class SeriesBookingForm(forms.Form):
    first_starts_at = forms.DateTimeField(
        label=_("First session"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    chair: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("Chair"), queryset=None)
    nurse: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("Nurse"), queryset=None)
    count = forms.IntegerField(label=_("Sessions to book"), min_value=1, max_value=24)

    def __init__(self, *args: Any, chairs: QuerySet[Any], nurses: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = chairs  # type: ignore[attr-defined]
        self.fields["nurse"].queryset = nurses  # type: ignore[attr-defined]


class SessionCloseForm(forms.Form):
    status = forms.ChoiceField(
        label=_("What happened"),
        choices=[
            (TreatmentSession.Status.CANCELLED, _("Cancelled")),
            (TreatmentSession.Status.NO_SHOW, _("Did not attend")),
        ],
    )
    reason = forms.CharField(label=_("Why"), max_length=500)


class VitalSignForm(forms.Form):
    systolic_mmhg = forms.IntegerField(label=_("Systolic (mmHg)"), required=False, min_value=0)
    diastolic_mmhg = forms.IntegerField(label=_("Diastolic (mmHg)"), required=False, min_value=0)
    heart_rate_bpm = forms.IntegerField(label=_("Heart rate (bpm)"), required=False, min_value=0)
    spo2_percent = forms.IntegerField(label=_("SpO2 (%)"), required=False, min_value=0)
    respiratory_rate = forms.IntegerField(label=_("Respiratory rate (/min)"), required=False, min_value=0)
    moaas = forms.IntegerField(label=_("Sedation (MOAA/S 0-5)"), required=False, min_value=0, max_value=5)
    dissociation = forms.TypedChoiceField(
        label=_("Dissociation"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), *RATINGS["dissociation"].items()],
    )
    nausea = forms.TypedChoiceField(
        label=_("Nausea"), required=False, coerce=int, empty_value=None, choices=[("", "—"), *RATINGS["nausea"].items()]
    )
    side_effects = forms.CharField(label=_("Other side effects"), required=False, max_length=500)


class ChecklistForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from ketaclinic.sessions.checklist import NURSE_ITEMS

        super().__init__(*args, **kwargs)
        for item, label in NURSE_ITEMS.items():
            self.fields[item] = forms.BooleanField(label=label, required=False)


class OverrideForm(forms.Form):
    item = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason for going ahead"), widget=forms.Textarea(attrs={"rows": 2}))
