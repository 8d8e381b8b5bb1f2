"""Treatment sessions as FHIR R4: Encounter, MedicationAdministration, vital-sign Observations, Bundle.

Follows ``questionnaires``: resource ids are our ``external_id`` UUIDs, references are relative
(``Patient/<id>``, ``Practitioner/<id>``), and anything without a verified standard code gets a
code under ``https://ketaclinic.org/fhir/CodeSystem/`` rather than a made-up one (codes.md).
Vitals follow the FHIR vital-signs profiles: LOINC codes, the ``vital-signs`` category and UCUM
units, blood pressure as one panel with systolic and diastolic components. The bedside ratings
(MOAA/S, dissociation, nausea) have no verified LOINC code, so they carry local codes. A value
that raised a threshold alert carries an ``interpretation`` (HL7 v3 ObservationInterpretation).

Rows marked entered in error are exported with status ``entered-in-error``, so a receiver that
took an earlier copy learns it was wrong. Unlike ``questionnaires``, this module reads the
session models; ``session_bundle`` loads what it needs in a fixed number of queries.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Prefetch, prefetch_related_objects

from ketaclinic.core.monitoring import RATINGS, Limit
from ketaclinic.fhir.questionnaires import (
    CANONICAL_BASE,
    LOINC,
    Resource,
    collection_bundle,
    fhir_datetime,
    observation_category,
)
from ketaclinic.patients.models import TreatmentRoute
from ketaclinic.sessions.models import DoseAdministration, TreatmentSession, VitalSign

if TYPE_CHECKING:
    from ketaclinic.accounts.models import User

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
ADMIN_PERFORMER_FUNCTION = "http://terminology.hl7.org/CodeSystem/med-admin-perform-function"
DATA_ABSENT_REASON = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
VITAL_SIGNS_PROFILE = "http://hl7.org/fhir/StructureDefinition/vitalsigns"
OBSERVATION_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"

SESSION_STATUSES = f"{CANONICAL_BASE}/CodeSystem/session-status"
SESSION_STATUS_EXTENSION = f"{CANONICAL_BASE}/StructureDefinition/session-status"
PROTOCOLS = f"{CANONICAL_BASE}/CodeSystem/treatment-protocols"
ROUTES = f"{CANONICAL_BASE}/CodeSystem/treatment-routes"
BEDSIDE_OBSERVATIONS = f"{CANONICAL_BASE}/CodeSystem/bedside-observations"
DOSE_STATUSES = f"{CANONICAL_BASE}/CodeSystem/dose-status"

KETAMINE = {"system": RXNORM, "code": "6130", "display": "ketamine"}

_ENCOUNTER_STATUS = {
    TreatmentSession.Status.SCHEDULED: "planned",
    TreatmentSession.Status.CANCELLED: "cancelled",
    # R4 Encounter has no no-show status; the session-status extension keeps the distinction.
    TreatmentSession.Status.NO_SHOW: "cancelled",
    TreatmentSession.Status.COMPLETED: "finished",
}
_ADMINISTRATION_STATUS = {
    DoseAdministration.Status.RUNNING: "in-progress",
    DoseAdministration.Status.PAUSED: "on-hold",
    DoseAdministration.Status.COMPLETED: "completed",
    DoseAdministration.Status.STOPPED: "stopped",
}
# A dose drawn up but not yet started waits for its check or its start (on-hold) while the
# session is open; once the session is over, it was never given (not-done).
_NOT_STARTED = {DoseAdministration.Status.PREPARED, DoseAdministration.Status.VERIFIED}
# A threshold alert on a value, as an HL7 v3 ObservationInterpretation code. A limit on the value
# itself reads high or low; a limit on a change from the session's own level (its baseline, or
# the level before the dose) reads as a significant change up or down, since the value may be
# in range; a bedside rating on a word scale (dissociation, nausea) reads abnormal. The rules
# carry no severity, so the critical codes (HH, LL, AA) are not used.
_INTERPRETATIONS = {
    Limit.ABOVE: ("H", "High"),
    Limit.BELOW: ("L", "Low"),
    Limit.AT_MOST: ("L", "Low"),
    Limit.AT_LEAST: ("H", "High"),
    Limit.RISE_OVER_BASELINE: ("U", "Significant change up"),
    Limit.DROP_BELOW_PRE_DOSE: ("D", "Significant change down"),
}
_ABNORMAL = ("A", "Abnormal")


@dataclass(frozen=True, slots=True)
class _VitalCode:
    """A vital sign's LOINC codes, its words, UCUM unit and the FHIR vital-signs profile it follows."""

    loinc: tuple[str, ...]
    text: str
    unit: str
    profile: str

    @property
    def concept(self) -> Resource:
        return {"coding": [{"system": LOINC, "code": code} for code in self.loinc], "text": self.text}


# LOINC codings carry no display, as in ``questionnaires``: the words are ours, in ``text``.
# SpO2 carries 2708-6, which the core oxygen saturation profile requires, beside 59408-5.
_VITALS = {
    "heart_rate_bpm": _VitalCode(("8867-4",), "Heart rate", "/min", "heartrate"),
    "respiratory_rate": _VitalCode(("9279-1",), "Respiratory rate", "/min", "resprate"),
    "spo2_percent": _VitalCode(("59408-5", "2708-6"), "Oxygen saturation by pulse oximetry", "%", "oxygensat"),
}
_BP_PANEL = _VitalCode(("85354-9",), "Blood pressure", "mm[Hg]", "bp")
_BP_COMPONENTS = {
    "systolic_mmhg": _VitalCode(("8480-6",), "Systolic blood pressure", "mm[Hg]", "bp"),
    "diastolic_mmhg": _VitalCode(("8462-4",), "Diastolic blood pressure", "mm[Hg]", "bp"),
}
# The nurse's bedside ratings: MOAA/S has no verified LOINC code, dissociation and nausea are
# project scales (core.monitoring.RATINGS), so all three are local codes.
_RATINGS = {
    "moaas": "Sedation (MOAA/S)",
    "dissociation": "Dissociation",
    "nausea": "Nausea",
}


# --- identity and references -------------------------------------------------------------


def _id(value: uuid.UUID) -> str:
    return str(value)


def _patient_reference(session: TreatmentSession) -> Resource:
    return {"reference": f"Patient/{session.patient.external_id}", "display": session.patient.display_name}


def _practitioner_reference(user: User) -> Resource:
    return {"reference": f"Practitioner/{user.external_id}", "display": str(user)}


def _encounter_reference(session: TreatmentSession) -> Resource:
    return {"reference": f"Encounter/{session.external_id}"}


def observation_id(sign: VitalSign, measure: str) -> str:
    """A stable id per measured value, so exporting a reading twice gives the same ids."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{CANONICAL_BASE}/VitalSign/{sign.external_id}#{measure}"))


def _quantity(value: Decimal | int, unit: str) -> Resource:
    return {"value": float(value) if isinstance(value, Decimal) else value, "unit": unit, "system": UCUM, "code": unit}


# --- Encounter ---------------------------------------------------------------------------


def encounter_status(session: TreatmentSession) -> str:
    """The Encounter status: a scheduled session whose dose has started is in progress."""
    if session.is_entered_in_error:
        return "entered-in-error"
    if session.status == TreatmentSession.Status.SCHEDULED and any(
        dose.started_at is not None and not dose.is_entered_in_error for dose in session.doses.all()
    ):
        return "in-progress"
    return _ENCOUNTER_STATUS[TreatmentSession.Status(session.status)]


def encounter_from_session(session: TreatmentSession) -> Resource:
    """The session as an ambulatory Encounter: patient, nurse, chair, booked period, protocol."""
    status = TreatmentSession.Status(session.status)
    return {
        "resourceType": "Encounter",
        "id": _id(session.external_id),
        "extension": [
            {
                "url": SESSION_STATUS_EXTENSION,
                "valueCoding": {"system": SESSION_STATUSES, "code": status.value, "display": str(status.label)},
            }
        ],
        "status": encounter_status(session),
        "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
        "type": [
            {
                "coding": [{"system": PROTOCOLS, "code": session.plan.protocol_key}],
                "text": f"Treatment session {session.number_in_series} ({session.plan.get_route_display()})",
            }
        ],
        "subject": _patient_reference(session),
        "participant": [
            {
                "type": [{"coding": [{"system": PARTICIPATION_TYPE, "code": "PPRF", "display": "primary performer"}]}],
                "individual": _practitioner_reference(session.nurse),
            }
        ],
        "period": {"start": fhir_datetime(session.starts_at), "end": fhir_datetime(session.ends_at)},
        "reasonCode": [{"text": session.plan.indication}],
        "location": [
            {"location": {"reference": f"Location/{session.chair.external_id}", "display": session.chair.label}}
        ],
    }


# --- MedicationAdministration ------------------------------------------------------------


def administration_status(dose: DoseAdministration) -> str:
    if dose.is_entered_in_error:
        return "entered-in-error"
    status = DoseAdministration.Status(dose.status)
    if status in _NOT_STARTED:
        return "on-hold" if dose.session.status == TreatmentSession.Status.SCHEDULED else "not-done"
    if status is DoseAdministration.Status.STOPPED and dose.started_at is None:
        return "not-done"
    return _ADMINISTRATION_STATUS[status]


def _medication(dose: DoseAdministration) -> Resource:
    """The drug as a contained Medication, which is where R4 keeps the lot number and expiry.

    Ketamine is RxNorm 6130; esketamine's RxNorm codes are unconfirmed (codes.md), so it is text.
    """
    if dose.drug == "ketamine":
        code: Resource = {"coding": [KETAMINE], "text": "ketamine"}
    else:
        code = {"text": dose.drug}
    medication: Resource = {"resourceType": "Medication", "id": "medication", "code": code}
    if dose.concentration_mg_per_ml is not None:
        medication["ingredient"] = [
            {
                "itemCodeableConcept": code,
                "strength": {
                    "numerator": _quantity(dose.concentration_mg_per_ml, "mg"),
                    "denominator": _quantity(1, "mL"),
                },
            }
        ]
    medication["batch"] = {"lotNumber": dose.lot_number, "expirationDate": dose.lot_expires_on.isoformat()}
    return medication


def _effective(dose: DoseAdministration) -> Resource:
    """When it was given; a dose not yet started carries the time it was drawn up (R4 needs one)."""
    if dose.started_at is None:
        return {"effectiveDateTime": fhir_datetime(dose.prepared_at)}
    period = {"start": fhir_datetime(dose.started_at)}
    if dose.ended_at is not None:
        period["end"] = fhir_datetime(dose.ended_at)
    return {"effectivePeriod": period}


def _performer(user: User, function: str) -> Resource:
    return {
        "function": {"coding": [{"system": ADMIN_PERFORMER_FUNCTION, "code": function}]},
        "actor": _practitioner_reference(user),
    }


def _route_label(route: str) -> str:
    return str(TreatmentRoute(route).label) if route in TreatmentRoute.values else route


def _dosage(dose: DoseAdministration) -> Resource:
    given = dose.given_mg if dose.given_mg is not None else dose.dose_mg
    dosage: Resource = {
        "route": {"coding": [{"system": ROUTES, "code": dose.route}], "text": _route_label(dose.route)},
        "dose": _quantity(given, "mg"),
    }
    if dose.rate_ml_per_hour is not None:
        dosage["rateQuantity"] = _quantity(dose.rate_ml_per_hour, "mL/h")
    text = [f"{given} mg"]
    if dose.volume_ml is not None:
        text.append(f"{dose.volume_ml} mL")
    if dose.infusion_minutes is not None:
        text.append(f"over {dose.infusion_minutes} min")
    if dose.device_count is not None:
        text.append(f"in {dose.device_count} nasal spray devices")
    dosage["text"] = " ".join(text)
    return dosage


def medication_administration_from_dose(dose: DoseAdministration) -> Resource:
    """One dose: drug and lot, dose, route and rate, who prepared and who verified, when."""
    session = dose.session
    status = administration_status(dose)
    resource: Resource = {
        "resourceType": "MedicationAdministration",
        "id": _id(dose.external_id),
        "contained": [_medication(dose)],
        "status": status,
    }
    if status in {"on-hold", "not-done"}:
        label = DoseAdministration.Status(dose.status).label
        resource["statusReason"] = [
            {"coding": [{"system": DOSE_STATUSES, "code": dose.status, "display": str(label)}], "text": str(label)}
        ]
    resource |= {
        "medicationReference": {"reference": "#medication", "display": dose.drug},
        "subject": _patient_reference(session),
        "context": _encounter_reference(session),
        **_effective(dose),
        "performer": [_performer(dose.prepared_by, "performer")],
    }
    if dose.verified_by is not None:
        resource["performer"].append(_performer(dose.verified_by, "verifier"))
    if dose.steps:
        resource["note"] = [{"text": "\n".join(str(step) for step in dose.steps)}]
    resource["dosage"] = _dosage(dose)
    return resource


# --- Observation -------------------------------------------------------------------------


def _interpretation(sign: VitalSign, measure: str) -> list[Resource]:
    """What the reading's threshold alerts on ``measure`` say of its value, one code each, in rule order."""
    codes: dict[str, str] = {}
    for alert in sign.reading_alerts:
        if alert.measure == measure and alert.kind is not None:
            code, display = _ABNORMAL if measure in RATINGS else _INTERPRETATIONS[alert.kind]
            codes.setdefault(code, display)
    return [
        {"coding": [{"system": OBSERVATION_INTERPRETATION, "code": code, "display": display}], "text": display}
        for code, display in codes.items()
    ]


def _observation(sign: VitalSign, measure: str, code: Resource, *, profile: str | None) -> Resource:
    """The parts every reading's Observation shares; ``profile`` is set for vital signs only.

    A monitor's reading names the Device; a hand entry names the nurse who took it as performer.
    """
    session = sign.session
    observation: Resource = {"resourceType": "Observation", "id": observation_id(sign, measure)}
    if profile is not None:
        observation["meta"] = {"profile": [VITAL_SIGNS_PROFILE, f"http://hl7.org/fhir/StructureDefinition/{profile}"]}
    observation |= {
        "status": "entered-in-error" if sign.is_entered_in_error else "final",
        "category": observation_category(*(("vital-signs", "Vital Signs") if profile else ("survey", "Survey"))),
        "code": code,
        "subject": _patient_reference(session),
        "encounter": _encounter_reference(session),
        "effectiveDateTime": fhir_datetime(sign.measured_at),
        "issued": fhir_datetime(sign.created_at),
    }
    if sign.source == VitalSign.Source.DEVICE and sign.device is not None:
        observation["device"] = {"reference": f"Device/{sign.device.external_id}", "display": sign.device.label}
    elif sign.recorded_by is not None:
        observation["performer"] = [_practitioner_reference(sign.recorded_by)]
    interpretation = _interpretation(sign, measure)
    if interpretation:
        observation["interpretation"] = interpretation
    return observation


def _blood_pressure(sign: VitalSign) -> Resource:
    """Systolic and diastolic as one panel; a value not taken is marked absent, as the profile asks."""
    observation = _observation(sign, "blood_pressure", _BP_PANEL.concept, profile=_BP_PANEL.profile)
    components = []
    for field, vital in _BP_COMPONENTS.items():
        component: Resource = {"code": vital.concept}
        value = getattr(sign, field)
        if value is None:
            component["dataAbsentReason"] = {
                "coding": [{"system": DATA_ABSENT_REASON, "code": "not-performed", "display": "Not Performed"}]
            }
        else:
            component["valueQuantity"] = _quantity(value, vital.unit)
        interpretation = _interpretation(sign, field)
        if interpretation:
            component["interpretation"] = interpretation
        components.append(component)
    observation["component"] = components
    return observation


def _rating(sign: VitalSign, measure: str) -> Resource:
    label = _RATINGS[measure]
    code = {"coding": [{"system": BEDSIDE_OBSERVATIONS, "code": measure, "display": label}], "text": label}
    observation = _observation(sign, measure, code, profile=None)
    value = getattr(sign, measure)
    if measure == "moaas":
        observation["valueInteger"] = value
    else:
        word = RATINGS[measure][value]
        observation["valueCodeableConcept"] = {
            "coding": [
                {"system": f"{CANONICAL_BASE}/CodeSystem/{measure}-ratings", "code": str(value), "display": word}
            ],
            "text": f"{value} ({word})",
        }
    return observation


def observations_from_vital_sign(sign: VitalSign) -> list[Resource]:
    """One Observation per value measured; blood pressure is one panel with two components."""
    observations = []
    if sign.systolic_mmhg is not None or sign.diastolic_mmhg is not None:
        observations.append(_blood_pressure(sign))
    for measure, vital in _VITALS.items():
        value = getattr(sign, measure)
        if value is not None:
            observation = _observation(sign, measure, vital.concept, profile=vital.profile)
            observation["valueQuantity"] = _quantity(value, vital.unit)
            observations.append(observation)
    for measure in _RATINGS:
        if getattr(sign, measure) is not None:
            observations.append(_rating(sign, measure))
    return observations


# --- Bundle ------------------------------------------------------------------------------


def session_bundle(session: TreatmentSession, *, server_base: str = CANONICAL_BASE) -> Resource:
    """A collection Bundle of the session's Encounter, doses and readings, entered-in-error rows too.

    Loads the plan, nurse, doses and readings with their people and devices in at most four
    queries, however many readings the session has.
    """
    prefetch_related_objects(
        [session],
        "patient",
        "chair",
        "plan",
        "nurse",
        Prefetch(
            "doses",
            queryset=DoseAdministration.objects.select_related("prepared_by", "verified_by").order_by(
                "prepared_at", "pk"
            ),
        ),
        Prefetch(
            "vital_signs",
            queryset=VitalSign.objects.select_related("device", "recorded_by").order_by("measured_at", "pk"),
        ),
    )
    resources = [encounter_from_session(session)]
    resources += [medication_administration_from_dose(dose) for dose in session.doses.all()]
    for sign in session.vital_signs.all():
        resources += observations_from_vital_sign(sign)
    return collection_bundle(resources, server_base)
