"""Pregnancy tests are clinical records: recorded with who and when, corrected only by marking in error."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from ketaclinic.audit.models import AuditEntry
from ketaclinic.audit.records import HistoryBypassed
from ketaclinic.core.errors import Forbidden, RuleViolation
from ketaclinic.core.permissions import Role
from ketaclinic.patients.models import PregnancyTest
from ketaclinic.patients.services.pregnancy_tests import pregnancy_test_mark_entered_in_error, pregnancy_test_record
from tests.factories import PatientFactory, StaffFactory
from tests.steps import acting

NOON = dt.datetime(2026, 3, 10, 20, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
@time_machine.travel(NOON, tick=False)
def test_pregnancy_test_record_keeps_who_when_and_writes_history(center):
    nurse = StaffFactory(center=center, role=Role.NURSE)
    patient = PatientFactory(center=center)
    test = pregnancy_test_record(
        actor=acting(nurse),
        patient=patient,
        kind="serum_hcg",
        result="negative",
        tested_at=NOON - dt.timedelta(hours=2),
    )
    assert (test.recorded_by, test.recorded_at, test.kind) == (nurse, NOON, "serum_hcg")
    assert AuditEntry.objects.filter(action="pregnancy_test.recorded").count() == 1


@pytest.mark.django_db
@time_machine.travel(NOON, tick=False)
def test_a_wrong_pregnancy_test_is_marked_in_error_with_a_reason_and_never_deleted(center):
    nurse = StaffFactory(center=center, role=Role.NURSE)
    test = pregnancy_test_record(
        actor=acting(nurse), patient=PatientFactory(center=center), kind="urine_hcg", result="positive", tested_at=NOON
    )
    # A positive result stops every dose, so only a prescriber may mark it in error.
    with pytest.raises(Forbidden):
        pregnancy_test_mark_entered_in_error(actor=acting(nurse), test=test, reason="Another patient's sample.")
    prescriber = StaffFactory(center=center, role=Role.PRESCRIBER)
    with pytest.raises(RuleViolation):
        pregnancy_test_mark_entered_in_error(actor=acting(prescriber), test=test, reason=" ")
    test = pregnancy_test_mark_entered_in_error(actor=acting(prescriber), test=test, reason="Another patient's sample.")
    assert test.is_entered_in_error and not PregnancyTest.objects.in_use().exists()
    with pytest.raises(HistoryBypassed):
        test.delete()
    assert PregnancyTest.objects.count() == 1


@pytest.mark.django_db
@time_machine.travel(NOON, tick=False)
def test_front_desk_cannot_record_and_no_test_is_in_the_future(center):
    patient = PatientFactory(center=center)
    with pytest.raises(Forbidden):
        pregnancy_test_record(
            actor=acting(StaffFactory(center=center, role=Role.FRONT_DESK)),
            patient=patient,
            kind="urine_hcg",
            result="negative",
            tested_at=NOON,
        )
    with pytest.raises(RuleViolation) as raised:
        pregnancy_test_record(
            actor=acting(StaffFactory(center=center, role=Role.NURSE)),
            patient=patient,
            kind="urine_hcg",
            result="negative",
            tested_at=NOON + dt.timedelta(hours=1),
        )
    assert raised.value.code == "test_in_future"
    assert not PregnancyTest.objects.exists()
