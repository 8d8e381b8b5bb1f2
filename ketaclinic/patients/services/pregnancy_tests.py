"""Pregnancy test results; the pre-session checklist reads the newest one."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import audit_change_record, changes_between, snapshot
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.authorization import require
from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.permissions import Perm
from ketaclinic.patients.models import Patient, PregnancyTest
from ketaclinic.patients.services.record_steps import mark_entered_in_error
from ketaclinic.validation import validated


@transaction.atomic
def pregnancy_test_record(
    *, actor: Actor, patient: Patient, kind: str, result: str, tested_at: dt.datetime, note: str = ""
) -> PregnancyTest:
    """Record a pregnancy test result; the pre-session checklist reads the newest one."""
    require(actor, Perm.VITALS_RECORD, center_id=patient.center_id)
    now = timezone.now()
    if tested_at > now + dt.timedelta(minutes=1):
        raise RuleViolation(_("A test cannot be in the future."), code="test_in_future", field="tested_at")
    test = PregnancyTest(
        patient=patient,
        kind=kind,
        result=result,
        tested_at=tested_at,
        note=note.strip(),
        recorded_by=actor.user,
        recorded_at=now,
    )
    validated(test)
    test.save()
    audit_change_record(
        actor=actor,
        instance=test,
        action=AuditAction.PREGNANCY_TEST_RECORDED,
        changes=changes_between({}, snapshot(test)),
    )
    return test


@transaction.atomic
def pregnancy_test_mark_entered_in_error(*, actor: Actor, test: PregnancyTest, reason: str) -> PregnancyTest:
    require(actor, Perm.VITALS_RECORD, center_id=test.patient.center_id)
    if test.result == PregnancyTest.Result.POSITIVE:
        # A positive result stops every dose; only a prescriber may say it was recorded in error.
        require(actor, Perm.PLAN_SIGN, center_id=test.patient.center_id)
    return mark_entered_in_error(
        actor=actor, record=test, reason=reason, action=AuditAction.PREGNANCY_TEST_ENTERED_IN_ERROR
    )
