from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class DateInput(forms.DateInput):
    input_type = "date"


class AuditFilterForm(forms.Form):
    patient = forms.CharField(label=_("Patient record number"), required=False, max_length=20)
    user = forms.CharField(label=_("Staff user name"), required=False, max_length=150)
    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("To"), required=False, widget=DateInput())
    emergency_only = forms.BooleanField(label=_("Emergency access only"), required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data
