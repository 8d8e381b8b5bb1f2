"""The tabs of the patient chart. Each capability adds its tab here as it arrives."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ketaclinic.core.permissions import Perm


@dataclass(frozen=True, slots=True)
class ChartTab:
    key: str
    label: str | Promise
    url_name: str
    perm: Perm


CHART_TABS = (
    ChartTab("summary", _("Summary"), "patients:chart", Perm.PATIENT_VIEW),
    ChartTab("consultation", _("Consultation"), "consultations:start", Perm.CONSULTATION_VIEW),
    ChartTab("consents", _("Consents"), "patients:consents", Perm.CONSENT_VIEW),
    ChartTab("plan", _("Treatment plan"), "treatment:plans", Perm.PLAN_VIEW),
    ChartTab("sessions", _("Sessions"), "sessions:patient", Perm.SESSION_VIEW),
    ChartTab("measures", _("Measures"), "measures:patient", Perm.MEASURE_VIEW),
    ChartTab("care_team", _("Care team"), "patients:care_team", Perm.PATIENT_VIEW),
    ChartTab("history", _("Record history"), "patients:history", Perm.RECORD_HISTORY_VIEW),
)
