"""Forms a patient fills in from a link, without signing in."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def _is_yes(value: str) -> bool:
    return value == "yes"


class SessionConfirmationForm(forms.Form):
    """The two things a patient confirms the day before a session, each a plain yes or no."""

    # No hours of fasting here: the clinic's own instructions are the source, not this page.
    fasting_confirmed = forms.TypedChoiceField(
        label=_("I will follow the fasting instructions my clinic gave me."),
        choices=YES_NO,
        coerce=_is_yes,
        widget=forms.RadioSelect,
    )
    ride_confirmed = forms.TypedChoiceField(
        label=_("An adult will take me home after my visit; I will not drive that day."),
        choices=YES_NO,
        coerce=_is_yes,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything your clinic should know (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
