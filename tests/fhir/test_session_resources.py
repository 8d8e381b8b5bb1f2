"""Treatment sessions mapped to FHIR R4, checked against the fhir.resources R4B models (R4-compatible)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.medicationadministration import MedicationAdministration
from fhir.resources.R4B.observation import Observation

from ketaclinic.audit.models import AuditEntry
from ketaclinic.core.permissions import Role
from ketaclinic.fhir.sessions import (
    BEDSIDE_OBSERVATIONS,
    RXNORM,
    UCUM,
    encounter_from_session,
    medication_administration_from_dose,
    observations_from_vital_sign,
    session_bundle,
)
from ketaclinic.sessions.models import DoseAdministration, MonitorDevice, TreatmentSession, VitalSign
from tests.factories import StaffFactory, StandInPlanFactory, TreatmentSessionFactory
from tests.steps import signed_in

LOINC = "http://loinc.org"
VITAL_SIGNS = {"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}
STARTS_AT = dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC)


@pytest.fixture
def prescriber(center):  # type: ignore[no-untyped-def]
    return StaffFactory(center=center, role=Role.PRESCRIBER, first_name="Rosa", last_name="Prescriber")


@pytest.fixture
def session(center, nurse, prescriber, patient):  # type: ignore[no-untyped-def]
    plan = StandInPlanFactory(patient=patient, signer=prescriber)
    return TreatmentSessionFactory(
        plan=plan, nurse=nurse, starts_at=STARTS_AT, ends_at=STARTS_AT + dt.timedelta(minutes=80)
    )


def dose_for(session: TreatmentSession, *, prepared_by: Any, verified_by: Any = None, **fields: Any) -> Any:
    values: dict[str, Any] = {
        "session": session,
        "drug": "ketamine",
        "route": "iv",
        "protocol_key": "iv_racemic_ketamine",
        "weight_kg": Decimal("70.0"),
        "mg_per_kg": Decimal("0.50"),
        "cap_mg": Decimal("50.0"),
        "concentration_mg_per_ml": Decimal("1.00"),
        "infusion_minutes": 40,
        "calculated_mg": Decimal("35.00"),
        "dose_mg": Decimal("35.0"),
        "volume_ml": Decimal("35.00"),
        "rate_ml_per_hour": Decimal("52.50"),
        "steps": ["0.5 mg/kg x 70 kg = 35 mg", "35 mg / 1 mg/mL = 35 mL", "35 mL over 40 min = 52.5 mL/h"],
        "rule_version": "test",
        "lot_number": "KX-2291",
        "lot_expires_on": dt.date(2027, 1, 31),
        "drawn_mg": Decimal("50.0"),
        "prepared_by": prepared_by,
        "prepared_at": STARTS_AT - dt.timedelta(minutes=10),
        "verified_by": verified_by,
        "verified_at": STARTS_AT - dt.timedelta(minutes=5) if verified_by else None,
        "status": DoseAdministration.Status.VERIFIED if verified_by else DoseAdministration.Status.PREPARED,
    }
    return DoseAdministration.objects.create(**(values | fields))


def reading(session: TreatmentSession, minute: int = 5, **values: Any) -> VitalSign:
    defaults: dict[str, Any] = {
        "session": session,
        "measured_at": STARTS_AT + dt.timedelta(minutes=minute),
        "source": VitalSign.Source.HAND,
        "recorded_by": session.nurse,
        "idempotency_key": f"hand-{minute}-{len(values)}",
    }
    return VitalSign.objects.create(**(defaults | values))


def codes(resource: dict[str, Any]) -> list[tuple[str, str]]:
    return [(coding["system"], coding["code"]) for coding in resource["code"]["coding"]]


def by_code(observations: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {observation["code"]["coding"][0]["code"]: observation for observation in observations}


# --- Encounter ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_encounter_from_session_names_patient_nurse_chair_and_period(session, nurse, patient):
    """A booked session is a planned ambulatory Encounter with its patient, nurse, chair and times."""
    encounter = encounter_from_session(session)

    Encounter.model_validate(encounter)
    assert encounter["id"] == str(session.external_id)
    assert encounter["status"] == "planned"
    assert encounter["class"]["code"] == "AMB"
    assert encounter["subject"] == {"reference": f"Patient/{patient.external_id}", "display": patient.display_name}
    assert encounter["participant"][0]["individual"]["reference"] == f"Practitioner/{nurse.external_id}"
    assert encounter["location"][0]["location"]["reference"] == f"Location/{session.chair.external_id}"
    assert encounter["period"] == {"start": "2026-03-02T16:00:00Z", "end": "2026-03-02T17:20:00Z"}
    assert encounter["type"][0]["coding"][0]["code"] == "iv_racemic_ketamine"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (TreatmentSession.Status.SCHEDULED, "planned"),
        (TreatmentSession.Status.CANCELLED, "cancelled"),
        (TreatmentSession.Status.NO_SHOW, "cancelled"),
        (TreatmentSession.Status.COMPLETED, "finished"),
    ],
)
def test_encounter_status_maps_every_session_status(session, status, expected):
    """Each session status has its Encounter status; the extension keeps a no-show apart from a cancellation."""
    session.status = status
    session.save()

    encounter = encounter_from_session(session)

    Encounter.model_validate(encounter)
    assert encounter["status"] == expected
    assert encounter["extension"][0]["valueCoding"]["code"] == status.value


@pytest.mark.django_db
def test_encounter_is_in_progress_once_the_dose_has_started(session, nurse, prescriber):
    """A scheduled session whose infusion is running is an Encounter in progress."""
    dose_for(
        session,
        prepared_by=nurse,
        verified_by=prescriber,
        status=DoseAdministration.Status.RUNNING,
        started_at=STARTS_AT,
    )

    assert encounter_from_session(session)["status"] == "in-progress"


@pytest.mark.django_db
def test_encounter_of_a_session_entered_in_error_says_so(session):
    session.entered_in_error_at = timezone.now()
    session.save()

    encounter = encounter_from_session(session)

    Encounter.model_validate(encounter)
    assert encounter["status"] == "entered-in-error"


# --- MedicationAdministration ------------------------------------------------------------


@pytest.mark.django_db
def test_medication_administration_carries_drug_lot_dose_rate_and_both_clinicians(session, nurse, prescriber):
    """A running infusion: RxNorm ketamine with its lot, mg dose, mL/h rate, preparer and verifier."""
    dose = dose_for(
        session,
        prepared_by=nurse,
        verified_by=prescriber,
        status=DoseAdministration.Status.RUNNING,
        started_at=STARTS_AT,
    )

    resource = medication_administration_from_dose(dose)

    MedicationAdministration.model_validate(resource)
    assert resource["status"] == "in-progress"
    medication = resource["contained"][0]
    assert resource["medicationReference"]["reference"] == f"#{medication['id']}"
    assert medication["code"]["coding"] == [{"system": RXNORM, "code": "6130", "display": "ketamine"}]
    assert medication["batch"] == {"lotNumber": "KX-2291", "expirationDate": "2027-01-31"}
    strength = medication["ingredient"][0]["strength"]
    assert (strength["numerator"]["code"], strength["denominator"]["code"]) == ("mg", "mL")
    assert resource["dosage"]["dose"] == {"value": 35.0, "unit": "mg", "system": UCUM, "code": "mg"}
    assert resource["dosage"]["rateQuantity"] == {"value": 52.5, "unit": "mL/h", "system": UCUM, "code": "mL/h"}
    assert "35.00 mL" in resource["dosage"]["text"]
    assert resource["context"] == {"reference": f"Encounter/{session.external_id}"}
    assert resource["subject"]["reference"] == f"Patient/{session.patient.external_id}"
    assert resource["effectivePeriod"] == {"start": "2026-03-02T16:00:00Z"}
    performers = {p["function"]["coding"][0]["code"]: p["actor"]["reference"] for p in resource["performer"]}
    assert performers == {
        "performer": f"Practitioner/{nurse.external_id}",
        "verifier": f"Practitioner/{prescriber.external_id}",
    }
    assert "52.5 mL/h" in resource["note"][0]["text"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "session_status", "started", "expected"),
    [
        (DoseAdministration.Status.PREPARED, TreatmentSession.Status.SCHEDULED, False, "on-hold"),
        (DoseAdministration.Status.VERIFIED, TreatmentSession.Status.SCHEDULED, False, "on-hold"),
        (DoseAdministration.Status.PREPARED, TreatmentSession.Status.CANCELLED, False, "not-done"),
        (DoseAdministration.Status.VERIFIED, TreatmentSession.Status.COMPLETED, False, "not-done"),
        (DoseAdministration.Status.RUNNING, TreatmentSession.Status.SCHEDULED, True, "in-progress"),
        (DoseAdministration.Status.PAUSED, TreatmentSession.Status.SCHEDULED, True, "on-hold"),
        (DoseAdministration.Status.COMPLETED, TreatmentSession.Status.COMPLETED, True, "completed"),
        (DoseAdministration.Status.STOPPED, TreatmentSession.Status.COMPLETED, True, "stopped"),
    ],
)
def test_administration_status_maps_every_dose_status(
    session, nurse, prescriber, status, session_status, started, expected
):
    """Every dose status has its R4 status; a dose never started is on hold, or not done once the session is over."""
    session.status = session_status
    session.save()
    ended = STARTS_AT + dt.timedelta(minutes=40) if status in {"completed", "stopped"} else None
    dose = dose_for(
        session,
        prepared_by=nurse,
        verified_by=prescriber,
        status=status,
        started_at=STARTS_AT if started else None,
        ended_at=ended,
    )

    resource = medication_administration_from_dose(dose)

    MedicationAdministration.model_validate(resource)
    assert resource["status"] == expected
    if started:
        assert resource["effectivePeriod"]["start"] == "2026-03-02T16:00:00Z"
    else:
        assert resource["effectiveDateTime"] == "2026-03-02T15:50:00Z"
        assert resource["statusReason"][0]["coding"][0]["code"] == status.value
    if ended:
        assert resource["effectivePeriod"]["end"] == "2026-03-02T16:40:00Z"


@pytest.mark.django_db
def test_unverified_dose_names_only_who_prepared_it(session, nurse):
    resource = medication_administration_from_dose(dose_for(session, prepared_by=nurse))

    assert [p["function"]["coding"][0]["code"] for p in resource["performer"]] == ["performer"]


@pytest.mark.django_db
def test_medication_administration_entered_in_error(session, nurse, prescriber):
    dose = dose_for(session, prepared_by=nurse, verified_by=prescriber, entered_in_error_at=timezone.now())

    resource = medication_administration_from_dose(dose)

    MedicationAdministration.model_validate(resource)
    assert resource["status"] == "entered-in-error"


@pytest.mark.django_db
def test_esketamine_has_no_invented_rxnorm_code(session, nurse, prescriber):
    """Esketamine's RxNorm codes are unconfirmed, so the drug is named in text only."""
    dose = dose_for(
        session,
        prepared_by=nurse,
        verified_by=prescriber,
        drug="esketamine",
        route="esketamine_nasal_spray",
        cap_mg=Decimal("84.0"),
        dose_mg=Decimal("56.0"),
        given_mg=Decimal("56.0"),
        concentration_mg_per_ml=None,
        volume_ml=None,
        rate_ml_per_hour=None,
        infusion_minutes=None,
        device_count=2,
        status=DoseAdministration.Status.COMPLETED,
        started_at=STARTS_AT,
        ended_at=STARTS_AT + dt.timedelta(minutes=5),
    )

    resource = medication_administration_from_dose(dose)

    MedicationAdministration.model_validate(resource)
    assert resource["contained"][0]["code"] == {"text": "esketamine"}
    assert "rateQuantity" not in resource["dosage"]
    assert resource["dosage"]["dose"]["value"] == 56.0
    assert "2 nasal spray devices" in resource["dosage"]["text"]


# --- Observation -------------------------------------------------------------------------


@pytest.mark.django_db
def test_hand_reading_gives_one_observation_per_value_with_loinc_codes_and_ucum_units(session, nurse):
    """A full hand entry: BP panel with two components, HR, RR, SpO2, and the three bedside ratings."""
    sign = reading(
        session,
        systolic_mmhg=142,
        diastolic_mmhg=88,
        heart_rate_bpm=76,
        respiratory_rate=14,
        spo2_percent=97,
        moaas=4,
        dissociation=2,
        nausea=1,
    )

    observations = observations_from_vital_sign(sign)

    for observation in observations:
        Observation.model_validate(observation)
        assert observation["subject"]["reference"] == f"Patient/{session.patient.external_id}"
        assert observation["encounter"] == {"reference": f"Encounter/{session.external_id}"}
        assert observation["effectiveDateTime"] == "2026-03-02T16:05:00Z"
        assert observation["performer"] == [{"reference": f"Practitioner/{nurse.external_id}", "display": str(nurse)}]
        assert "device" not in observation
        assert observation["status"] == "final"
    found = by_code(observations)
    assert sorted(found) == sorted(["85354-9", "8867-4", "9279-1", "59408-5", "moaas", "dissociation", "nausea"])
    assert len({observation["id"] for observation in observations}) == 7

    bp = found["85354-9"]
    assert bp["category"][0]["coding"][0] | VITAL_SIGNS == bp["category"][0]["coding"][0]
    assert "valueQuantity" not in bp
    assert bp["meta"]["profile"] == [
        "http://hl7.org/fhir/StructureDefinition/vitalsigns",
        "http://hl7.org/fhir/StructureDefinition/bp",
    ]
    assert [(c["code"]["coding"][0]["code"], c["valueQuantity"]) for c in bp["component"]] == [
        ("8480-6", {"value": 142, "unit": "mm[Hg]", "system": UCUM, "code": "mm[Hg]"}),
        ("8462-4", {"value": 88, "unit": "mm[Hg]", "system": UCUM, "code": "mm[Hg]"}),
    ]
    assert found["8867-4"]["valueQuantity"] == {"value": 76, "unit": "/min", "system": UCUM, "code": "/min"}
    assert found["9279-1"]["valueQuantity"] == {"value": 14, "unit": "/min", "system": UCUM, "code": "/min"}
    assert found["59408-5"]["valueQuantity"] == {"value": 97, "unit": "%", "system": UCUM, "code": "%"}
    assert codes(found["59408-5"]) == [(LOINC, "59408-5"), (LOINC, "2708-6")]
    for code in ("85354-9", "8867-4", "9279-1", "59408-5"):
        assert found[code]["category"][0]["coding"][0]["code"] == "vital-signs"
        assert codes(found[code])[0][0] == LOINC

    for code in ("moaas", "dissociation", "nausea"):
        assert codes(found[code]) == [(BEDSIDE_OBSERVATIONS, code)]
        assert found[code]["category"][0]["coding"][0]["code"] == "survey"
        assert "meta" not in found[code]
    assert found["moaas"]["valueInteger"] == 4
    assert found["dissociation"]["valueCodeableConcept"]["coding"][0]["display"] == "moderate"
    assert found["nausea"]["valueCodeableConcept"]["text"] == "1 (nausea)"


@pytest.mark.django_db
def test_device_reading_names_the_device_not_a_performer(center, session):
    """A monitor's reading references the Device; only what it measured is exported."""
    device = MonitorDevice.objects.create(center=center, label="Chair 3 monitor", token_hash="d" * 64)
    sign = reading(
        session, source=VitalSign.Source.DEVICE, device=device, recorded_by=None, heart_rate_bpm=64, spo2_percent=95
    )

    observations = observations_from_vital_sign(sign)

    assert sorted(by_code(observations)) == ["59408-5", "8867-4"]
    for observation in observations:
        Observation.model_validate(observation)
        assert observation["device"] == {"reference": f"Device/{device.external_id}", "display": "Chair 3 monitor"}
        assert "performer" not in observation


@pytest.mark.django_db
def test_blood_pressure_with_one_value_marks_the_other_absent(session):
    (bp,) = observations_from_vital_sign(reading(session, systolic_mmhg=150))

    Observation.model_validate(bp)
    systolic, diastolic = bp["component"]
    assert systolic["valueQuantity"]["value"] == 150
    assert diastolic["dataAbsentReason"]["coding"][0]["code"] == "not-performed"
    assert "valueQuantity" not in diastolic


@pytest.mark.django_db
def test_reading_entered_in_error_exports_every_value_as_entered_in_error(session):
    sign = reading(session, heart_rate_bpm=180, spo2_percent=99, entered_in_error_at=timezone.now())

    observations = observations_from_vital_sign(sign)

    assert [observation["status"] for observation in observations] == ["entered-in-error", "entered-in-error"]
    for observation in observations:
        Observation.model_validate(observation)


@pytest.mark.django_db
def test_observation_ids_are_stable_across_exports(session):
    sign = reading(session, heart_rate_bpm=70)

    assert observations_from_vital_sign(sign)[0]["id"] == observations_from_vital_sign(sign)[0]["id"]


# --- Bundle and download -----------------------------------------------------------------


def full_session(session: TreatmentSession, nurse: Any, prescriber: Any, readings: int) -> None:
    dose_for(
        session,
        prepared_by=nurse,
        verified_by=prescriber,
        status=DoseAdministration.Status.RUNNING,
        started_at=STARTS_AT,
    )
    for minute in range(readings):
        reading(session, minute=minute, systolic_mmhg=130, diastolic_mmhg=80, heart_rate_bpm=70 + minute % 5)


@pytest.mark.django_db
def test_session_bundle_collects_encounter_doses_and_observations(session, nurse, prescriber):
    full_session(session, nurse, prescriber, readings=3)
    reading(session, minute=30, heart_rate_bpm=200, entered_in_error_at=timezone.now())

    bundle = session_bundle(session)

    parsed = Bundle.model_validate(bundle)
    assert parsed.type == "collection"
    kinds = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    assert kinds == ["Encounter", "MedicationAdministration"] + ["Observation"] * 7
    assert bundle["entry"][0]["fullUrl"] == f"https://ketaclinic.org/fhir/Encounter/{session.external_id}"
    assert bundle["entry"][-1]["resource"]["status"] == "entered-in-error"
    assert bundle["entry"][0]["resource"]["status"] == "in-progress"
    assert json.loads(json.dumps(bundle)) == bundle


@pytest.mark.django_db
def test_session_bundle_query_count_does_not_grow_with_readings(django_assert_num_queries, session, nurse, prescriber):
    full_session(session, nurse, prescriber, readings=25)
    fresh = TreatmentSession.objects.select_related("patient", "chair").get(pk=session.pk)

    # plan, nurse, doses with their clinicians, readings with their devices and nurses
    with django_assert_num_queries(4):
        bundle = session_bundle(fresh)

    assert len(bundle["entry"]) == 2 + 25 * 2


@pytest.mark.django_db
def test_fhir_download_gives_a_nurse_of_the_center_a_valid_bundle(session, nurse, prescriber):
    full_session(session, nurse, prescriber, readings=2)
    url = reverse("fhir:session", kwargs={"session_id": session.external_id})

    response = signed_in(nurse).get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    bundle = Bundle.model_validate(json.loads(response.content))
    assert [entry.resource.__resource_type__ for entry in bundle.entry][:2] == ["Encounter", "MedicationAdministration"]
    assert AuditEntry.objects.filter(action="session.fhir_exported", patient=session.patient).exists()


@pytest.mark.django_db
def test_fhir_download_of_another_centers_session_is_not_found(session, other_center):
    outsider = StaffFactory(center=other_center, role=Role.NURSE)
    url = reverse("fhir:session", kwargs={"session_id": session.external_id})

    assert signed_in(outsider).get(url).status_code == 404
    assert not AuditEntry.objects.filter(action="session.fhir_exported").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("readings", [1, 40])
def test_fhir_download_query_count_is_flat(django_assert_num_queries, session, nurse, prescriber, readings):
    full_session(session, nurse, prescriber, readings=readings)
    client = signed_in(nurse)
    url = reverse("fhir:session", kwargs={"session_id": session.external_id})
    client.get(url)

    # session, user, roles, the session with patient and chair, plan, nurse, doses, readings, access entry
    with django_assert_num_queries(9):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_fhir_download_of_a_session_entered_in_error_is_not_found(session, nurse):
    session.entered_in_error_at = timezone.now()
    session.save()

    url = reverse("fhir:session", kwargs={"session_id": session.external_id})
    assert signed_in(nurse).get(url).status_code == 404
