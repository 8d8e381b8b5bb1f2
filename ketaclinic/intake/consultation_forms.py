from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ketaclinic.core import eligibility
from ketaclinic.core.antidepressants import ANTIDEPRESSANTS
from ketaclinic.intake.consultation_sections import HISTORY_SECTIONS
from ketaclinic.intake.models import Consultation, EligibilityDecision, PriorTrial
from ketaclinic.intake.services.consultation import TRIAL_FIELDS

TRI_STATE = [("", _("Not asked")), ("yes", _("Yes")), ("no", _("No"))]
CLASS_LABELS = {
    "benzodiazepine": _("Benzodiazepine"),
    "non_benzodiazepine_sedative_hypnotic": _("Other sleeping pill (z-drug)"),
    "opioid": _("Opioid"),
    "sedating_antihistamine": _("Sedating antihistamine"),
    "other_cns_depressant": _("Other CNS depressant"),
    "psychostimulant": _("Psychostimulant"),
    "mao_inhibitor": _("MAO inhibitor"),
    "lamotrigine": _("Lamotrigine"),
    "theophylline_or_aminophylline": _("Theophylline or aminophylline"),
}


class ConsultationForm(forms.ModelForm):
    diagnosis_codes_text = forms.CharField(
        label=_("Diagnoses (ICD-10-CM)"), required=False, help_text=_("Codes separated by commas, e.g. F33.2, F41.1.")
    )
    medication_classes = forms.MultipleChoiceField(
        label=_("Current medicines in these classes"),
        required=False,
        choices=[(c.value, CLASS_LABELS[c.value]) for c in eligibility.MedicationClass],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Consultation
        fields = (
            "presenting_problem",
            "prior_suicide_attempts",
            "episode_duration_months",
            "episode_severity",
            "has_had_ect",
            "medications",
            "are_medications_reconciled",
            "systolic_mmhg",
            "diastolic_mmhg",
            "heart_rate_bpm",
            "weight_kg",
            "height_cm",
        )
        widgets = {
            "presenting_problem": forms.Textarea(attrs={"rows": 3}),
            "medications": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        consultation: Consultation = self.instance
        self.fields["diagnosis_codes_text"].initial = ", ".join(consultation.diagnosis_codes)
        self.fields["medication_classes"].initial = consultation.medication_classes
        self.history_sections: list[tuple[str, list[str]]] = []
        for title, facts in HISTORY_SECTIONS:
            names = []
            for fact, label in facts:
                answer = consultation.history.get(fact)
                self.fields[f"h_{fact}"] = forms.ChoiceField(
                    label=label,
                    choices=TRI_STATE,
                    required=False,
                    widget=forms.RadioSelect,
                    initial="" if answer is None else ("yes" if answer else "no"),
                )
                names.append(f"h_{fact}")
            self.history_sections.append((title, names))

    def history_answers(self) -> dict[str, bool | None]:
        return {
            name[2:]: {"yes": True, "no": False}.get(value)
            for name, value in self.cleaned_data.items()
            if name.startswith("h_")
        }

    def service_fields(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["diagnosis_codes"] = [c for c in self.cleaned_data["diagnosis_codes_text"].replace(";", ",").split(",")]
        data["medication_classes"] = self.cleaned_data["medication_classes"]
        data["history"] = self.history_answers()
        return data


# The datalist the drug field offers: each ingredient and each brand, the brand showing its
# ingredient, so a typed "Zoloft" is seen (and coded by the service) as sertraline.
DRUG_DATALIST_ID = "antidepressant-names"


class PriorTrialForm(forms.ModelForm):
    class Meta:
        model = PriorTrial
        fields = TRIAL_FIELDS
        widgets = {
            "drug": forms.TextInput(attrs={"list": DRUG_DATALIST_ID, "autocomplete": "off"}),
            **{
                name: forms.Select(choices=[("unknown", _("Not known")), ("true", _("Yes")), ("false", _("No"))])
                for name in ("is_dose_adequate", "is_adherent", "is_current_episode")
            },
        }
        help_texts = {
            "drug": _(
                "Pick from the list; a brand name is recorded as its ingredient. A name not on the list is "
                "saved as not coded and flagged for review."
            )
        }

    datalist_id = DRUG_DATALIST_ID

    @property
    def drug_options(self) -> list[tuple[str, str]]:
        """(value, label) pairs: the ingredient itself, then each brand pointing to it."""
        options: list[tuple[str, str]] = []
        for drug in sorted(ANTIDEPRESSANTS, key=lambda d: d.ingredient):
            options.append((drug.ingredient, drug.display))
            options.extend((brand, f"{brand} = {drug.display}") for brand in drug.brands)
        return options


class DecisionForm(forms.Form):
    route = forms.ChoiceField(
        label=_("Route"), choices=[(r.value, r.value.replace("_", " ")) for r in eligibility.Route]
    )
    decision = forms.ChoiceField(label=_("Decision"), choices=EligibilityDecision.Decision.choices)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    justifications = forms.CharField(
        label=_("Justifications"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: RULE-ID: why you accept it (relative findings and unassessed rules)."),
    )
    password = forms.CharField(
        label=_("Your password, to sign"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def justification_map(self) -> dict[str, str]:
        result = {}
        for line in self.cleaned_data.get("justifications", "").splitlines():
            rule, _sep, text = line.partition(":")
            if rule.strip() and text.strip():
                result[rule.strip().upper()] = text.strip()
        return result
