"""Build the demo clinic network: two Buena Park centers, staff of every role, synthetic patients.

The same seed gives the same data, so benchmarks can build their data set with it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.audit.records import ChangeAuthor
from ketaclinic.clinics.models import (
    Chair,
    OpeningHours,
    Organization,
    Room,
    Service,
    StaffRole,
    StaffRoleKind,
    TreatmentCenter,
)
from ketaclinic.demo import people as data
from ketaclinic.patients.models import Allergy, CareTeamMember, GenderIdentity, Patient, SexAtBirth
from ketaclinic.patients.services.registration import mrn_allocate

DEMO_PASSWORD = "ketaclinic-demo"  # noqa: S105 - printed for the demo; never used outside it
DEMO_ORGANIZATION_SLUG = "orange-county-ketamine-care"
SEED_AUTHOR = ChangeAuthor(actor=None, label="seed_demo", reason="synthetic demo data")


@dataclass(frozen=True, slots=True)
class CenterSpec:
    slug: str
    short: str
    name: str
    street: str
    phone: str
    services: tuple[str, ...]
    languages: tuple[str, ...]


CENTERS = (
    CenterSpec(
        "buena-park-beach",
        "beach",
        "Buena Park Beach Boulevard",
        "7600 Beach Blvd",
        "(714) 555-0140",
        (Service.IV_KETAMINE, Service.IM_KETAMINE, Service.ESKETAMINE, Service.KAP),
        ("en", "es", "ko"),
    ),
    CenterSpec(
        "buena-park-la-palma",
        "lapalma",
        "Buena Park La Palma",
        "6300 La Palma Ave",
        "(714) 555-0160",
        (Service.IV_KETAMINE, Service.ESKETAMINE),
        ("en", "es", "vi"),
    ),
)


@dataclass(frozen=True, slots=True)
class DemoLogin:
    username: str
    role: str
    centers: tuple[str, ...]


def demo_logins() -> list[DemoLogin]:
    logins = [
        DemoLogin(f"{kind.value.replace('_', '')}.{spec.short}", str(kind.label), (spec.name,))
        for spec in CENTERS
        for kind in StaffRoleKind
    ]
    logins.append(DemoLogin("prescriber.network", str(StaffRoleKind.PRESCRIBER.label), tuple(s.name for s in CENTERS)))
    return logins


@transaction.atomic
def demo_network_build() -> list[TreatmentCenter]:
    """Create (once) the organization, its two centers, rooms, chairs, hours and staff."""
    org, _ = Organization.objects.get_or_create(
        slug=DEMO_ORGANIZATION_SLUG,
        defaults={"name": "Orange County Ketamine Care (demo)", "requires_mfa": False, "mrn_prefix": "BP"},
    )
    centers = []
    for spec in CENTERS:
        center, created = TreatmentCenter.objects.get_or_create(
            slug=spec.slug,
            defaults={
                "organization": org,
                "name": spec.name,
                "street": spec.street,
                "city": "Buena Park",
                "state": "CA",
                "postal_code": "90620" if spec.short == "beach" else "90621",
                "time_zone": "America/Los_Angeles",
                "phone": spec.phone,
                "email": f"{spec.short}@demo.ketaclinic.invalid",
                "services": list(spec.services),
                "languages": list(spec.languages),
            },
        )
        centers.append(center)
        if created:
            _center_rooms_and_hours(center)
    password_hash = make_password(DEMO_PASSWORD)  # argon2 is slow by design: hash once for all
    _publish_demo_consents(org, centers[0])
    for login in demo_logins():
        first, _, last = login.username.partition(".")
        user, created = User.objects.get_or_create(
            username=login.username,
            defaults={
                "first_name": first.capitalize(),
                "last_name": last.capitalize(),
                "email": f"{login.username}@demo.ketaclinic.invalid",
            },
        )
        if created:
            user.password = password_hash
            user.save(update_fields=["password"])
        kind = next(k for k in StaffRoleKind if str(k.label) == login.role)
        for center in centers:
            if center.name in login.centers:
                StaffRole.objects.get_or_create(user=user, center=center, role=kind.value)
    return centers


def _center_rooms_and_hours(center: TreatmentCenter) -> None:
    for number in (1, 2):
        room = Room.objects.create(center=center, name=f"Treatment room {number}", kind=Room.Kind.TREATMENT)
        for chair in ("A", "B"):
            Chair.objects.create(room=room, label=f"Chair {number}{chair}")
    Room.objects.create(center=center, name="Consultation room", kind=Room.Kind.CONSULTATION)
    for weekday in range(5):
        OpeningHours.objects.create(center=center, weekday=weekday, opens_at=dt.time(8), closes_at=dt.time(18))
    OpeningHours.objects.create(center=center, weekday=5, opens_at=dt.time(9), closes_at=dt.time(14))


def _phone(rng: random.Random) -> str:
    return f"(714) 555-01{rng.randrange(100):02d}"


def _language(rng: random.Random) -> str:
    return rng.choices([code for code, _ in data.LANGUAGES], weights=[w for _, w in data.LANGUAGES])[0]


def _patient(rng: random.Random, center: TreatmentCenter, mrn: str, today: dt.date) -> Patient:
    sex = rng.choices([SexAtBirth.FEMALE, SexAtBirth.MALE, SexAtBirth.INTERSEX], weights=[58, 41, 1])[0]
    gender = rng.choices(
        [GenderIdentity.WOMAN if sex == SexAtBirth.FEMALE else GenderIdentity.MAN, GenderIdentity.NON_BINARY, ""],
        weights=[90, 4, 6],
    )[0]
    given = rng.choice(data.GIVEN_FEMALE if sex == SexAtBirth.FEMALE else data.GIVEN_MALE)
    family = rng.choice(data.FAMILY)
    city, postal = rng.choice(data.CITIES)
    language = _language(rng)
    born = today - dt.timedelta(days=rng.randrange(18 * 365 + 5, 80 * 365))
    partner = rng.choice(data.GIVEN_FEMALE + data.GIVEN_MALE)
    return Patient(
        organization_id=center.organization_id,
        center=center,
        mrn=mrn,
        given_name=given,
        family_name=family,
        middle_name=rng.choice(["", "", "A.", "M.", "J.", "L."]),
        preferred_name=data.NICKNAMES.get(given, "") if rng.random() < 0.3 else "",
        date_of_birth=born,
        sex_at_birth=sex,
        gender_identity=gender,
        pronouns=data.PRONOUNS.get(gender, ""),
        phone=_phone(rng),
        email=f"{given.lower()}.{family.lower()}{rng.randrange(100)}@example.com",
        street=f"{rng.randrange(100, 9999)} {rng.choice(data.STREETS)}",
        city=city,
        state="CA",
        postal_code=postal,
        preferred_language=language,
        needs_interpreter=language != "en" and rng.random() < 0.4,
        emergency_contact_name=f"{partner} {family}",
        emergency_contact_relationship=rng.choice(data.RELATIONSHIPS),
        emergency_contact_phone=_phone(rng),
        has_no_known_allergies=rng.random() < 0.6,
    )


def _care_team(rng: random.Random, patient: Patient, today: dt.date) -> Iterator[CareTeamMember]:
    for role, chance in (("primary_care", 0.9), ("psychiatrist", 0.7), ("therapist", 0.5), ("referring", 0.4)):
        if rng.random() < chance:
            consent = rng.random() < 0.8
            yield CareTeamMember(
                patient=patient,
                role=role,
                name=f"Dr. {rng.choice(data.GIVEN_FEMALE + data.GIVEN_MALE)} {rng.choice(data.FAMILY)}",
                practice=rng.choice(data.PRACTICES[role]),
                phone=_phone(rng),
                fax=_phone(rng),
                has_consent_to_share=consent,
                consent_recorded_on=today - dt.timedelta(days=rng.randrange(1, 400)) if consent else None,
            )


def demo_patients_build(*, centers: list[TreatmentCenter], count: int, seed: int, batch: int = 2000) -> int:
    """Create ``count`` synthetic patients across the centers, with allergies and care teams."""
    rng = random.Random(seed)
    today = dt.date(2026, 11, 1)  # fixed, so a seed always gives the same ages
    with transaction.atomic():
        mrns = iter(mrn_allocate(organization=centers[0].organization, count=count))
    made = 0
    while made < count:
        size = min(batch, count - made)
        with transaction.atomic():
            patients = [_patient(rng, rng.choice(centers), next(mrns), today) for _ in range(size)]
            Patient.objects.bulk_create(patients, batch_size=500, recorded_by=SEED_AUTHOR)
            allergies: list[Allergy] = []
            members: list[CareTeamMember] = []
            for patient in patients:
                if not patient.has_no_known_allergies and rng.random() < 0.5:
                    substance, reaction = rng.choice(data.ALLERGENS)
                    allergies.append(
                        Allergy(
                            patient=patient, substance=substance, reaction=reaction, severity=Allergy.Severity.MODERATE
                        )
                    )
                members.extend(_care_team(rng, patient, today))
            Allergy.objects.bulk_create(allergies, batch_size=500, recorded_by=SEED_AUTHOR)
            CareTeamMember.objects.bulk_create(members, batch_size=500, recorded_by=SEED_AUTHOR)
        made += size
    return made


def _publish_demo_consents(organization: Organization, center: TreatmentCenter) -> None:
    from ketaclinic.patients.consent_texts import TEXTS
    from ketaclinic.patients.models import ConsentDocument

    for route, (title, body) in TEXTS.items():
        ConsentDocument.objects.get_or_create(
            organization=organization,
            route=route,
            version=1,
            defaults={"title": title, "body": body, "published_at": timezone.now()},
        )
