from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from ketaclinic.intake.models import ConsultationRequest
from ketaclinic.intake.services.inquiries import REQUEST_FIELDS
from ketaclinic.patients.forms import DateInput
from ketaclinic.patients.models import Language, SexAtBirth


class ConsultationRequestForm(forms.ModelForm):
    preferred_language = forms.ChoiceField(choices=Language.choices, initial="en")
    # Left empty by people; the field is hidden by the stylesheet, and bots fill it in.
    website = forms.CharField(required=False, label=_("Leave this field empty"))
    form_token = forms.CharField(widget=forms.HiddenInput)

    class Meta:
        model = ConsultationRequest
        fields = REQUEST_FIELDS
        widgets = {"date_of_birth": DateInput(), "reason": forms.Textarea(attrs={"rows": 4})}
        labels = {
            "has_consent_to_contact": _("You may contact me about this request by phone, text or email."),
            "heard_about": _("How did you hear about us?"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})
        self.fields["has_consent_to_contact"].required = True


class IntakeUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ConsultationRequest.Status.choices)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RegisterForm(forms.Form):
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=DateInput())
    sex_at_birth = forms.ChoiceField(label=_("Sex at birth"), choices=SexAtBirth.choices)


class BookingForm(forms.Form):
    consultation_at = forms.DateTimeField(
        label=_("Consultation time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    clinician: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("With"), queryset=None)

    def __init__(self, *args: Any, clinicians: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinician"].queryset = clinicians  # type: ignore[attr-defined]
