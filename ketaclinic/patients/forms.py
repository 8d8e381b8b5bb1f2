from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ketaclinic.patients.models import Allergy, CareTeamMember, Patient, PatientAlert, PregnancyTest
from ketaclinic.patients.services.care_team import CARE_TEAM_FIELDS
from ketaclinic.patients.services.registration import PATIENT_FIELDS


class DateInput(forms.DateInput):
    input_type = "date"


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search patients"),
        required=False,
        max_length=100,
        widget=forms.SearchInput(attrs={"placeholder": _("Name, date of birth or record number"), "autofocus": True}),
    )


class PatientForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = PATIENT_FIELDS
        widgets = {"date_of_birth": DateInput()}


class AllergyForm(forms.ModelForm):
    class Meta:
        model = Allergy
        fields = ("substance", "reaction", "severity")


class CareTeamMemberForm(forms.ModelForm):
    class Meta:
        model = CareTeamMember
        fields = CARE_TEAM_FIELDS
        widgets = {"consent_recorded_on": DateInput()}


class PatientAlertForm(forms.ModelForm):
    class Meta:
        model = PatientAlert
        fields = ("kind", "message", "reason")
        widgets = {"reason": forms.Textarea(attrs={"rows": 2})}


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class ResolutionForm(forms.Form):
    resolution = forms.CharField(
        label=_("How it was resolved"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class EmergencyAccessForm(forms.Form):
    mrn = forms.CharField(label=_("Medical record number"), max_length=20)
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=DateInput())
    reason = forms.CharField(
        label=_("Clinical reason for emergency access"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("Your access is recorded, flagged and reviewed by the patient's center admin."),
    )


class EmergencyReviewForm(forms.Form):
    note = forms.CharField(label=_("Review finding"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class PregnancyTestForm(forms.ModelForm):
    class Meta:
        model = PregnancyTest
        fields = ("kind", "result", "tested_at", "note")
        widgets = {
            "tested_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "note": forms.Textarea(attrs={"rows": 2}),
        }
