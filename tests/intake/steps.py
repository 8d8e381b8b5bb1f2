"""Steps the consultation tests share: a consultation filled in, a failed antidepressant trial, and trials
entered on the consultation's page."""

from __future__ import annotations

from django.urls import reverse

from ketaclinic.intake.consultation_sections import HISTORY_FACTS
from ketaclinic.intake.services.consultation import consultation_start, consultation_update
from tests.steps import acting, signed_in

ALL_NO = dict.fromkeys(HISTORY_FACTS, False) | {"has_escort_home": True}

FAILED_TRIAL = {
    "daily_dose_mg": "150",
    "weeks_at_dose": "8",
    "is_dose_adequate": True,
    "is_adherent": True,
    "is_current_episode": True,
    "outcome": "non_response",
}


def consultation_filled_in(prescriber, patient, **fields):  # type: ignore[no-untyped-def]
    """A consultation started and filled in with a clear history and calm blood pressure, unless changed."""
    consultation = consultation_start(actor=acting(prescriber), patient=patient)
    values = {
        "history": ALL_NO,
        "are_medications_reconciled": True,
        "medication_classes": [],
        "systolic_mmhg": 124,
        "diastolic_mmhg": 78,
    } | fields
    return consultation_update(actor=acting(prescriber), consultation=consultation, fields=values)


def trials_entered_on_the_page(prescriber, consultation, *drugs: str) -> str:  # type: ignore[no-untyped-def]
    """``prescriber`` adds each of ``drugs`` as a failed antidepressant trial on the consultation's page;
    the record page as it then reads."""
    client = signed_in(prescriber)
    kwargs = {"patient_id": consultation.patient.external_id, "consultation_id": consultation.external_id}
    add = reverse("consultations:trial_add", kwargs=kwargs)
    form = {k: str(v).lower() if isinstance(v, bool) else v for k, v in FAILED_TRIAL.items()} | {
        "role": "antidepressant"
    }
    for drug in drugs:
        assert client.post(add, form | {"drug": drug}).status_code == 302
    return client.get(reverse("consultations:record", kwargs=kwargs)).content.decode()
