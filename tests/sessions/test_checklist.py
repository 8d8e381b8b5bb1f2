from __future__ import annotations

import pytest

from ketaclinic.audit.models import AuditEntry
from ketaclinic.core.errors import Forbidden, RuleViolation
from ketaclinic.core.permissions import Role
from ketaclinic.sessions.services.checklist import (
    pre_session_check_record,
    pre_session_override,
    session_start_check,
)
from ketaclinic.sessions.services.flowsheet import vital_sign_record
from tests.factories import StaffFactory
from tests.sessions.steps import ALL_CONFIRMED, ready
from tests.steps import acting


@pytest.mark.django_db
def test_the_checklist_passes_when_the_nurse_confirms_and_the_record_agrees(center, session):
    ready(center, session)
    check = pre_session_check_record(actor=acting(session.nurse), session=session, confirmed=ALL_CONFIRMED)
    assert check.passed, check.items
    assert session_start_check(session=session) == check
    assert AuditEntry.objects.filter(action="pre_session_check.recorded").exists()


@pytest.mark.django_db
def test_missing_consent_blocks_the_start_and_says_so(center, session):
    check = pre_session_check_record(actor=acting(session.nurse), session=session, confirmed=ALL_CONFIRMED)
    assert set(check.open_items) == {"consent", "predose_vitals", "questionnaire"}
    with pytest.raises(RuleViolation, match="Current signed consent"):
        session_start_check(session=session)


@pytest.mark.django_db
def test_high_pre_dose_blood_pressure_fails_the_vitals_item(center, session):
    ready(center, session)
    vital_sign_record(actor=acting(session.nurse), session=session, values={"systolic_mmhg": 190})
    check = pre_session_check_record(actor=acting(session.nurse), session=session, confirmed=ALL_CONFIRMED)
    assert check.open_items == ["predose_vitals"]
    assert "above 180" in check.items["predose_vitals"]["how"]


@pytest.mark.django_db
def test_only_a_prescriber_overrides_one_item_with_a_written_reason(center, session):
    ready(center, session)
    check = pre_session_check_record(
        actor=acting(session.nurse), session=session, confirmed=ALL_CONFIRMED | {"fasting": False}
    )
    with pytest.raises(Forbidden):
        pre_session_override(
            actor=acting(StaffFactory(center=center, role=Role.NURSE)),
            check=check,
            item="fasting",
            reason="Had a small snack at 7am.",
        )
    prescriber = StaffFactory(center=center, role=Role.PRESCRIBER)
    with pytest.raises(RuleViolation):
        pre_session_override(actor=acting(prescriber), check=check, item="fasting", reason="ok")
    with pytest.raises(RuleViolation):
        pre_session_override(actor=acting(prescriber), check=check, item="identity", reason="Not a failed item at all.")
    check = pre_session_override(
        actor=acting(prescriber),
        check=check,
        item="fasting",
        reason="Light breakfast 4 h ago; antiemetic ready; benefit outweighs.",
    )
    assert check.passed
    assert session_start_check(session=session) == check


@pytest.mark.django_db
def test_missing_consent_cannot_be_overridden_and_only_one_item_can(center, session):
    check = pre_session_check_record(actor=acting(session.nurse), session=session, confirmed=ALL_CONFIRMED)
    prescriber = StaffFactory(center=center, role=Role.PRESCRIBER)
    with pytest.raises(RuleViolation) as raised:
        pre_session_override(
            actor=acting(prescriber), check=check, item="consent", reason="Signed on paper, to be scanned."
        )
    assert raised.value.code == "not_overridable"
    pre_session_override(
        actor=acting(prescriber), check=check, item="questionnaire", reason="Asked verbally; PHQ-9 later."
    )
    with pytest.raises(RuleViolation) as second:
        pre_session_override(
            actor=acting(prescriber), check=check, item="predose_vitals", reason="Monitor was being fixed."
        )
    assert second.value.code == "one_override_only"
