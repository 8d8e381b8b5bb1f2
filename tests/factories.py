"""One factory per model, valid by default."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.clinics.models import Chair, OpeningHours, Organization, Room, Service, StaffRole, TreatmentCenter
from ketaclinic.core.permissions import Role
from ketaclinic.patients.models import Allergy, CareTeamMember, Patient, PatientAlert, SexAtBirth
from tests.steps import acting

PASSWORD = "correct horse battery staple"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Clinic Network {n}")
    slug = factory.Sequence(lambda n: f"network-{n}")
    requires_mfa = False


class TreatmentCenterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TreatmentCenter

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Center {n}")
    slug = factory.Sequence(lambda n: f"center-{n}")
    street = "7600 Beach Blvd"
    city = "Buena Park"
    state = "CA"
    postal_code = "90620"
    time_zone = "America/Los_Angeles"
    phone = "(714) 555-0100"
    services = factory.LazyFunction(lambda: [Service.IV_KETAMINE.value, Service.ESKETAMINE.value])
    languages = factory.LazyFunction(lambda: ["en", "es"])


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    center = factory.SubFactory(TreatmentCenterFactory)
    name = factory.Sequence(lambda n: f"Room {n}")


class ChairFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Chair

    room = factory.SubFactory(RoomFactory)
    label = factory.Sequence(lambda n: f"Chair {n}")


class OpeningHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OpeningHours

    center = factory.SubFactory(TreatmentCenterFactory)
    weekday = 0
    opens_at = dt.time(8)
    closes_at = dt.time(18)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = "Alex"
    last_name = factory.Sequence(lambda n: f"Staffer{n}")
    # A leading "!" marks an unusable password. Argon2 is deliberately slow, so only tests
    # that type a password at the sign-in form ask for one with ``with_password``.
    password = "!no-password"

    class Params:
        with_password = factory.Trait(password=factory.django.Password(PASSWORD))


class StaffFactory(UserFactory):
    """A member of staff holding ``role`` at ``center`` (a new center when none is given)."""

    @classmethod
    def _create(cls, model_class, *args, center=None, role=Role.NURSE, **kwargs):  # type: ignore[no-untyped-def]
        user = super()._create(model_class, *args, **kwargs)
        StaffRole.objects.create(user=user, center=center or TreatmentCenterFactory(), role=Role(role).value)
        return user


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    center = factory.SubFactory(TreatmentCenterFactory)
    organization = factory.SelfAttribute("center.organization")
    mrn = factory.Sequence(lambda n: f"T{n:07d}")
    given_name = "Ana"
    family_name = factory.Sequence(lambda n: f"Garcia{n}")
    date_of_birth = dt.date(1985, 3, 14)
    sex_at_birth = SexAtBirth.FEMALE
    phone = "(714) 555-0123"


class AllergyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Allergy

    patient = factory.SubFactory(PatientFactory)
    substance = "Penicillin"
    reaction = "hives"


class CareTeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CareTeamMember

    patient = factory.SubFactory(PatientFactory)
    role = CareTeamMember.Role.PRIMARY_CARE
    name = factory.Sequence(lambda n: f"Dr. Lee {n}")


class PatientAlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatientAlert

    patient = factory.SubFactory(PatientFactory)
    kind = PatientAlert.Kind.CLINICAL
    message = "Needs blood pressure recheck"
    reason = "Pre-dose reading 162/98 on last visit."
    raised_at = factory.LazyFunction(timezone.now)


# States only services reach are built by calling the services.


def substance_screens_record(*, actor, patient) -> None:  # type: ignore[no-untyped-def]
    """Negative AUDIT-C and DAST-10, so the substance-use rule can be assessed."""
    from ketaclinic.measures.services.responses import questionnaire_response_save

    for code, items in (("audit_c", 3), ("dast10", 10)):
        questionnaire_response_save(
            actor=actor,
            patient=patient,
            instrument_code=code,
            answers=dict.fromkeys(range(1, items + 1), 0),
            source="staff",
            complete=True,
        )


def eligible_consultation_sign(*, prescriber, patient, route: str = "iv", **fields):  # type: ignore[no-untyped-def]
    """A consultation with every history question answered 'no' and a signed 'eligible' decision."""
    from ketaclinic.intake.consultation_sections import HISTORY_FACTS
    from ketaclinic.intake.services.consultation import consultation_start, consultation_update
    from ketaclinic.intake.services.decision import eligibility_decision_sign

    substance_screens_record(actor=acting(prescriber), patient=patient)
    consultation = consultation_start(actor=acting(prescriber), patient=patient)
    consultation_update(
        actor=acting(prescriber),
        consultation=consultation,
        fields={
            "history": dict.fromkeys(HISTORY_FACTS, False) | {"has_escort_home": True},
            "are_medications_reconciled": True,
            "systolic_mmhg": 120,
            "diastolic_mmhg": 80,
        }
        | fields,
    )
    decision = eligibility_decision_sign(
        actor=acting(prescriber),
        consultation=consultation,
        route=route,
        decision="eligible",
        reason="TRD; no findings.",
        justifications={},
        password=PASSWORD,
    )
    return consultation, decision


class StandInPlanFactory(factory.django.DjangoModelFactory):
    """A signed-looking IV plan on a stand-in decision, for tests and benchmarks about what follows
    a plan (sessions, vitals, access), not about signing. Plans that matter are built with
    eligible_consultation_sign and treatment_plan_sign."""

    class Meta:
        model = "treatment.TreatmentPlan"

    class Params:
        signer = factory.SubFactory(StaffFactory, role=Role.PRESCRIBER)

    patient = factory.SubFactory(PatientFactory)
    version = 1
    decision = factory.LazyAttribute(lambda o: _stand_in_decision(o.patient, o.signer))
    indication = "Treatment-resistant depression"
    route = "iv"
    protocol_key = "iv_racemic_ketamine"
    protocol_library_version = "stand-in"
    protocol_settings = factory.LazyAttribute(lambda o: protocol_settings_of(o.protocol_key))
    mg_per_kg = factory.LazyAttribute(lambda o: Decimal("0.5") if o.route == "iv" else None)
    cap_mg = factory.LazyAttribute(lambda o: Decimal("100") if o.route == "iv" else None)
    planned_sessions = 6
    min_spacing_days = 2
    monitoring_interval_minutes = 10
    min_observation_minutes = 40
    goals = "Remission"
    phase_since = factory.LazyFunction(lambda: timezone.localdate())
    re_evaluation_due_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=28))
    signed_by = factory.SelfAttribute("signer")
    signed_at = factory.LazyFunction(timezone.now)
    content_sha256 = "0" * 64


def protocol_settings_of(protocol_key: str) -> dict:  # type: ignore[type-arg]
    """A protocol's settings as a plan signs them in (see treatment.services)."""
    from ketaclinic.core.dosing import PROTOCOL_DEFAULTS
    from ketaclinic.treatment.services import protocol_setting_as_signed

    return {s.name: protocol_setting_as_signed(s) for s in PROTOCOL_DEFAULTS[protocol_key].settings}


def _stand_in_decision(patient, signer):  # type: ignore[no-untyped-def]
    from ketaclinic.intake.models import Consultation, EligibilityDecision

    consultation = Consultation.objects.create(patient=patient, prescriber=signer, started_at=timezone.now())
    return EligibilityDecision.objects.create(
        consultation=consultation, route="iv", decision="eligible", reason="stand-in", findings={},
        rule_set_version="stand-in", signed_by=signer, signed_at=timezone.now(), content_sha256="0" * 64,
    )  # fmt: skip


class TreatmentSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "treatment_sessions.TreatmentSession"

    plan = factory.SubFactory(StandInPlanFactory)
    patient = factory.SelfAttribute("plan.patient")
    chair = factory.SubFactory(ChairFactory, room__center=factory.SelfAttribute("...patient.center"))
    nurse = factory.SelfAttribute("plan.signed_by")
    number_in_series = 1
    starts_at = factory.LazyFunction(timezone.now)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(minutes=80))
    booked_by = factory.SelfAttribute("nurse")
    booked_at = factory.LazyFunction(timezone.now)


def consent_on_file(*, patient, route: str, witness):  # type: ignore[no-untyped-def]
    """Publish the demo consent text for the route (if none is) and have the patient sign it."""
    from ketaclinic.patients.consent_texts import TEXTS
    from ketaclinic.patients.selectors.consents import consent_document_current
    from ketaclinic.patients.services.consents import consent_document_publish, consent_sign

    if consent_document_current(organization_id=patient.organization_id, route=route) is None:
        title, body = TEXTS[route]
        consent_document_publish(
            actor=acting(StaffFactory(center=patient.center, role=Role.CENTER_ADMIN)),
            center_id=patient.center_id,
            organization_id=patient.organization_id,
            route=route,
            title=title,
            body=body,
        )
    return consent_sign(
        actor=acting(witness),
        patient=patient,
        route=route,
        typed_name=f"{patient.given_name} {patient.family_name}",
        has_read=True,
    )


class DrugProductFactory(factory.django.DjangoModelFactory):
    """Ketamine 10 mg/mL x 10 mL vials by default; ``esketamine=True`` for the 28 mg nasal device."""

    class Meta:
        model = "pharmacy.DrugProduct"

    class Params:
        esketamine = factory.Trait(
            name="Esketamine nasal spray 28 mg device",
            drug="esketamine",
            dosage_form="nasal_spray_device",
            strength_mg_per_ml=Decimal("140"),
            unit_volume_ml=Decimal("0.2"),
            unit_mg=Decimal("28"),
        )

    key = factory.Sequence(lambda n: f"test_product_{n}")
    name = "Ketamine HCl injection 10 mg/mL, 10 mL vial"
    drug = "ketamine"
    dosage_form = "injection_vial"
    strength_mg_per_ml = Decimal("10")
    unit_volume_ml = Decimal("10")
    unit_mg = factory.LazyAttribute(lambda o: o.strength_mg_per_ml * o.unit_volume_ml)
    rxnorm = "6130"
    source = "test product"


class DrugLotFactory(factory.django.DjangoModelFactory):
    """A lot on a center's shelf, in date, with 20 vials or devices on hand."""

    class Meta:
        model = "pharmacy.DrugLot"

    center = factory.SubFactory(TreatmentCenterFactory)
    product = factory.SubFactory(DrugProductFactory)
    lot_number = factory.Sequence(lambda n: f"KET-{2291 + n}")
    expires_on = dt.date(2030, 1, 31)
    units_on_hand = 20
    received_by = factory.SubFactory(StaffFactory, center=factory.SelfAttribute("..center"), role=Role.NURSE)
    received_at = factory.LazyFunction(timezone.now)
