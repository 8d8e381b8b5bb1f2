from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from ketaclinic.core.monitoring import RATINGS
from ketaclinic.sessions.models import TreatmentSession

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


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


def charted_time(label: StrOrPromise) -> forms.TimeField:
    """An optional clock time today, for something charted a few minutes after it happened."""
    return forms.TimeField(label=label, required=False, widget=forms.TimeInput(attrs={"type": "time"}))


class VitalSignForm(forms.Form):
    taken_at = charted_time(_("Taken at (if not now)"))
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
        from ketaclinic.sessions.services.checklist import NURSE_ITEMS

        super().__init__(*args, **kwargs)
        for item, label in NURSE_ITEMS.items():
            self.fields[item] = forms.BooleanField(label=label, required=False)


class OverrideForm(forms.Form):
    item = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason for going ahead"), widget=forms.Textarea(attrs={"rows": 2}))


class LotChoiceField(forms.ModelChoiceField[Any]):
    def label_from_instance(self, obj: Any) -> str:
        return _("%(lot)s: %(product)s, expires %(on)s, %(held)s on hand") % {
            "lot": obj.lot_number,
            "product": obj.product.name,
            "on": f"{obj.expires_on:%Y-%m-%d}",
            "held": obj.product.units_label(obj.units_on_hand),
        }


class DosePrepareForm(forms.Form):
    weight_kg = forms.DecimalField(label=_("Today's weight (kg)"), required=False, max_digits=5, decimal_places=1)
    lot = LotChoiceField(
        label=_("Lot drawn from"),
        queryset=None,
        to_field_name="external_id",
        help_text=_("Lots in stock and in date at this center; the concentration comes from the lot."),
    )
    drawn_mg = forms.DecimalField(label=_("Amount drawn up (mg)"), max_digits=6, decimal_places=1, min_value=0)

    def __init__(self, *args: Any, weight_based: bool, lots: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lot"].queryset = lots  # type: ignore[attr-defined]
        if not weight_based:
            del self.fields["weight_kg"]
        else:
            self.fields["weight_kg"].required = True


class SignWithPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Your password, to sign"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class DoseStepForm(forms.Form):
    step = forms.ChoiceField(
        choices=[
            ("start", "start"),
            ("device", "device"),
            ("pause", "pause"),
            ("resume", "resume"),
            ("complete", "complete"),
            ("stop", "stop"),
        ],
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)
    given_mg = forms.DecimalField(label=_("Given before the stop (mg)"), required=False, max_digits=6, decimal_places=1)


class WasteForm(forms.Form):
    wasted_mg = forms.DecimalField(label=_("Wasted (mg)"), max_digits=6, decimal_places=1, min_value=0)
    witness: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("Witness"), queryset=None)
    witness_password = forms.CharField(
        label=_("Witness's password"), widget=forms.PasswordInput(attrs={"autocomplete": "off"})
    )

    def __init__(self, *args: Any, clinicians: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["witness"].queryset = clinicians  # type: ignore[attr-defined]


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("What was wrong"), max_length=500)
    witness: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("Witness to the waste"), queryset=None)
    witness_password = forms.CharField(
        label=_("Witness's password"), widget=forms.PasswordInput(attrs={"autocomplete": "off"})
    )

    def __init__(self, *args: Any, clinicians: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["witness"].queryset = clinicians  # type: ignore[attr-defined]


class InterventionForm(forms.Form):
    given_at = charted_time(_("Given at (if not now)"))
    drug = forms.CharField(label=_("Drug"), max_length=100)
    amount = forms.CharField(label=_("Dose"), max_length=40, help_text=_("With its unit, e.g. 4 mg."))
    drug_route = forms.CharField(label=_("Route"), max_length=20)
    reason = forms.CharField(label=_("Reason"), max_length=500)
    ordered_by: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("Ordered by"), queryset=None)

    def __init__(self, *args: Any, prescribers: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ordered_by"].queryset = prescribers  # type: ignore[attr-defined]


class DischargeForm(forms.Form):
    escort_name = forms.CharField(label=_("Escort's name"), required=False, max_length=120)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from ketaclinic.core.discharge import DISCHARGE_RULES

        super().__init__(*args, **kwargs)
        for criterion in DISCHARGE_RULES.nurse_criteria:
            self.fields[criterion.key] = forms.BooleanField(label=criterion.label, required=False)
        self.order_fields([c.key for c in DISCHARGE_RULES.nurse_criteria] + ["escort_name"])


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Session note"), widget=forms.Textarea(attrs={"rows": 16}))


class NoteSignForm(SignWithPasswordForm):
    text = forms.CharField(label=_("Session note"), widget=forms.Textarea)


class AmendmentForm(SignWithPasswordForm):
    text = forms.CharField(label=_("Amendment"), widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(label=_("Why"), max_length=500)
    field_order = ["text", "reason", "password"]
