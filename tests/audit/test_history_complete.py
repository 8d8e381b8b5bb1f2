"""verify_audit finds a clinical row that has no history entry, as a crash could leave one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from ketaclinic.audit.records import ClinicalRecord
from ketaclinic.audit.verification import audit_history_gaps
from ketaclinic.core.permissions import Role
from ketaclinic.patients.models import Allergy
from ketaclinic.patients.services.allergies import allergy_record
from ketaclinic.patients.services.registration import patient_create
from tests.factories import StaffFactory
from tests.steps import acting


@pytest.fixture
def registered(center):  # type: ignore[no-untyped-def]
    """A patient and an allergy recorded through the services, each with its history."""
    staff = StaffFactory(center=center, role=Role.NURSE)
    patient = patient_create(
        actor=acting(staff),
        center=center,
        fields={
            "given_name": "Ana",
            "family_name": "Garcia",
            "date_of_birth": dt.date(1985, 3, 14),
            "sex_at_birth": "female",
        },
    )
    allergy_record(actor=acting(staff), patient=patient, substance="Latex")
    return patient


@pytest.mark.django_db
def test_rows_written_through_the_services_all_have_their_history(registered, capsys):
    assert audit_history_gaps() == []
    call_command("verify_audit", "--seal")
    assert "Audit chain intact" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_row_stored_without_its_entry_is_reported_with_its_model_count_and_id(registered, capsys):
    orphans = [Allergy.objects.create(patient=registered, substance=f"Drug {n}") for n in range(7)]

    gaps = audit_history_gaps()

    assert [(gap.model, gap.rows, gap.missing) for gap in gaps] == [("patients.allergy", 8, 7)]
    assert gaps[0].first_ids == tuple(str(row.external_id) for row in orphans[:5])
    with pytest.raises(CommandError, match="INCOMPLETE: 7 clinical rows have no history entry"):
        call_command("verify_audit", "--seal")
    assert f"patients.allergy: 7 of 8 rows have no history entry (first: {orphans[0].external_id}" in (
        capsys.readouterr().err
    )


@pytest.mark.django_db
def test_the_check_is_one_query_per_clinical_model_however_many_rows(registered, django_assert_max_num_queries):
    models = sum(1 for model in apps.get_models() if issubclass(model, ClinicalRecord))
    for n in range(30):
        allergy_record(
            actor=acting(StaffFactory(center=registered.center, role=Role.NURSE)),
            patient=registered,
            substance=f"Drug {n}",
        )
    with django_assert_max_num_queries(models):
        assert audit_history_gaps() == []
