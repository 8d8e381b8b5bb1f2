"""Audit actions are one StrEnum: each spelled once, and every entry the clinic's flows write names one."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse

from ketaclinic.audit.actions import BULK_CREATED, AuditAction
from ketaclinic.audit.models import AuditEntry
from ketaclinic.audit.records import ChangeAuthor, ClinicalRecord, HistoryBypassed
from ketaclinic.core.permissions import Role
from ketaclinic.patients.models import PregnancyTest
from ketaclinic.sessions.services.dose import dose_step
from tests.factories import StaffFactory
from tests.sessions.steps import running
from tests.steps import acting, signed_in
from tests.url_map import all_url_patterns


def test_every_audit_action_value_is_spelled_once():
    values = [action.value for action in AuditAction]
    assert len(values) == len(set(values))
    # An enum folds a repeated value into an alias of the first name; none may hide that way.
    assert list(AuditAction.__members__) == [action.name for action in AuditAction]


def test_every_audit_action_fits_the_entry_and_has_a_label():
    max_length = AuditEntry._meta.get_field("action").max_length
    assert max_length is not None
    for action in AuditAction:
        assert re.fullmatch(r"[a-z_]+\.[a-z_]+", action.value), action
        assert len(action.value) <= max_length, action
        assert str(action.label).strip(), action


def test_bulk_created_rows_keep_the_action_their_model_name_gave_them():
    """Entries already stored name bulk-created rows ``<model name>.created``; the map keeps those values."""
    for label, action in BULK_CREATED.items():
        model = apps.get_model(label)
        assert issubclass(model, ClinicalRecord), label
        assert action.value == f"{model._meta.model_name}.created", label


@pytest.mark.django_db
def test_a_clinical_model_without_a_bulk_created_action_cannot_be_bulk_created(patient):
    author = ChangeAuthor(actor=None, label="import")
    with pytest.raises(HistoryBypassed):
        PregnancyTest.objects.bulk_create([PregnancyTest(patient=patient)], recorded_by=author)
    assert not PregnancyTest.objects.exists()
    assert not AuditEntry.objects.filter(object_type="patients.pregnancytest").exists()


def test_every_staff_view_records_reads_under_an_audit_action():
    unnamed = [
        name
        for name, pattern, _needs in all_url_patterns()
        if hasattr(pattern.callback, "required_perm") and not isinstance(pattern.callback.access_action, AuditAction)
    ]
    assert unnamed == []


@pytest.mark.django_db
def test_the_clinics_own_flows_store_only_audit_actions(center, session):
    """Seed the demo, run and pause an infusion, open its pages: every stored action parses as an AuditAction."""
    call_command("seed_demo", "--patients", "10", "--seed", "1")
    second_nurse = StaffFactory(center=center, role=Role.NURSE, with_password=True)
    dose = running(center, session, second_nurse, minutes_ago=30)
    dose = dose_step(actor=acting(session.nurse), dose=dose, step="pause", reason="BP 184/100, rechecking")
    dose_step(actor=acting(session.nurse), dose=dose, step="resume")
    client = signed_in(session.nurse)
    assert client.get(reverse("patients:chart", kwargs={"patient_id": session.patient.external_id})).status_code == 200
    assert client.get(reverse("sessions:flowsheet", kwargs={"session_id": session.external_id})).status_code == 200

    stored = set(AuditEntry.objects.values_list("action", flat=True))
    assert sorted(stored - {action.value for action in AuditAction}) == []
    # The walk reached bulk creation, a step, a timed event, a service's history and a page read.
    assert {
        AuditAction.PATIENT_CREATED,
        AuditAction.CARE_TEAM_MEMBER_CREATED,
        AuditAction.DOSE_PAUSED,
        AuditAction.SESSION_EVENT_RESUMED,
        AuditAction.STOCK_DRAWN,
        AuditAction.PATIENT_CHART_VIEWED,
        AuditAction.FLOWSHEET_VIEWED,
    } <= stored
