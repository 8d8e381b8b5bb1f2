from __future__ import annotations

import pytest
from django.core.management import call_command

from ketaclinic.audit.models import AuditEntry
from ketaclinic.audit.verification import audit_chain_verify
from ketaclinic.clinics.models import StaffRole, TreatmentCenter
from ketaclinic.core.permissions import Role
from ketaclinic.demo.network import demo_patients_build
from ketaclinic.patients.models import CareTeamMember, Patient


def people() -> list[tuple]:
    return list(
        Patient.objects.order_by("mrn").values_list("mrn", "given_name", "family_name", "date_of_birth", "center__slug")
    )


@pytest.mark.django_db
def test_seed_demo_builds_two_buena_park_centers_with_every_role(capsys):
    call_command("seed_demo", "--patients", "30", "--seed", "7")
    centers = TreatmentCenter.objects.all()
    assert [c.city for c in centers] == ["Buena Park", "Buena Park"]
    for center in centers:
        assert set(StaffRole.objects.filter(center=center).values_list("role", flat=True)) == {r.value for r in Role}
    assert Patient.objects.count() == 30
    assert CareTeamMember.objects.exists()
    out = capsys.readouterr().out
    assert "nurse.beach" in out
    assert "password for all" in out


@pytest.mark.django_db
def test_seed_demo_is_deterministic_for_a_seed():
    call_command("seed_demo", "--patients", "25", "--seed", "3")
    first = people()
    assert len(first) == 25
    # The same seed gives the same people again (with the next record numbers).
    demo_patients_build(centers=list(TreatmentCenter.objects.order_by("slug")), count=25, seed=3)
    again = people()[25:]
    assert [row[1:] for row in again] == [row[1:] for row in first]


@pytest.mark.django_db
def test_seed_demo_records_history_for_every_row_and_seals_it():
    call_command("seed_demo", "--patients", "10", "--seed", "1")
    created = AuditEntry.objects.filter(action="patient.created", actor_label="seed_demo")
    assert created.count() == 10
    report = audit_chain_verify()
    assert report.is_intact
    assert report.unsealed == 0


@pytest.mark.django_db
def test_seed_demo_if_empty_adds_nothing_the_second_time():
    call_command("seed_demo", "--patients", "5", "--if-empty")
    call_command("seed_demo", "--patients", "5", "--if-empty")
    assert Patient.objects.count() == 5
