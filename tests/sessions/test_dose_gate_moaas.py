"""MOAA/S below the pre-dose level raises a sedation alert, by hand and from a monitor (issue #10 item 9)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from ketaclinic.core.permissions import Role
from ketaclinic.sessions.models import DoseAdministration, MonitorDevice
from ketaclinic.sessions.services.flowsheet import vital_sign_record
from ketaclinic.sessions.services.ingestion import vital_signs_ingest
from tests.factories import StaffFactory, TreatmentSessionFactory
from tests.steps import acting

# 10:00 in Buena Park, inside opening hours; no test here reads the wall clock.
BOOKED_AT = dt.datetime(2026, 3, 3, 18, 0, tzinfo=dt.UTC)
DOSE_AT = BOOKED_AT + dt.timedelta(minutes=10)
DROP = "Sedation (MOAA/S): 4, down from 5 before the dose: sedation (Spravato label)."


@pytest.fixture
def session(db):  # type: ignore[no-untyped-def]
    with time_machine.travel(BOOKED_AT, tick=False):
        session = TreatmentSessionFactory(starts_at=BOOKED_AT)
        session.nurse = StaffFactory(center=session.patient.center, role=Role.NURSE)
        session.save()
        return session


def start_dose(session, at: dt.datetime) -> DoseAdministration:  # type: ignore[no-untyped-def]
    return DoseAdministration.objects.create(
        session=session, drug="ketamine", route="iv", protocol_key="iv_racemic_ketamine",
        cap_mg=Decimal("35"), dose_mg=Decimal("35"), rule_version="2026.1", lot_number="KET24A01",
        lot_expires_on=dt.date(2027, 6, 30), drawn_mg=Decimal("35"), prepared_by=session.nurse,
        prepared_at=at - dt.timedelta(minutes=5), status=DoseAdministration.Status.RUNNING, started_at=at,
    )  # fmt: skip


def record(session, minutes: int, **values: int):  # type: ignore[no-untyped-def]
    at = BOOKED_AT + dt.timedelta(minutes=minutes)
    with time_machine.travel(at, tick=False):
        return vital_sign_record(actor=acting(session.nurse), session=session, values=values, measured_at=at)


@pytest.mark.django_db
def test_hand_entry_below_the_pre_dose_moaas_alerts_with_the_reason(session):
    record(session, 5, moaas=5, systolic_mmhg=128)
    start_dose(session, DOSE_AT)
    sign = record(session, 30, moaas=4)
    assert any(alert.startswith(DROP) for alert in sign.alert_messages)
    assert not any("sedation_deep" in alert for alert in sign.alert_messages)


@pytest.mark.django_db
def test_hand_entry_back_at_the_pre_dose_level_raises_nothing(session):
    record(session, 5, moaas=5)
    start_dose(session, DOSE_AT)
    assert record(session, 30, moaas=5).alerts == []


@pytest.mark.django_db
def test_a_drop_between_readings_before_the_dose_is_not_a_post_dose_drop(session):
    """Before the dose starts there is no pre-dose level to fall from."""
    record(session, 2, moaas=5)
    assert record(session, 5, moaas=4).alerts == []


@pytest.mark.django_db
def test_the_latest_rating_before_the_dose_is_the_pre_dose_level(session):
    """An early 5 then a 4 just before the dose: the 4 is the level to compare with."""
    record(session, 2, moaas=5)
    record(session, 8, moaas=4)
    start_dose(session, DOSE_AT)
    assert record(session, 30, moaas=4).alerts == []


@pytest.mark.django_db
def test_monitor_batch_compares_post_dose_moaas_with_the_pre_dose_reading_in_the_same_batch(session):
    start_dose(session, DOSE_AT)
    device = MonitorDevice.objects.create(center=session.patient.center, label="Chair monitor", token_hash="m" * 64)
    readings = [
        {"idempotency_key": "pre", "measured_at": BOOKED_AT + dt.timedelta(minutes=5), "moaas": 5},
        {"idempotency_key": "post", "measured_at": BOOKED_AT + dt.timedelta(minutes=40), "moaas": 4},
    ]
    with time_machine.travel(BOOKED_AT + dt.timedelta(minutes=41), tick=False):
        result = vital_signs_ingest(device=device, session=session, readings=readings)
    assert result.created == 2
    assert len(result.alerts) == 1
    assert result.alerts[0].message.startswith(DROP)


@pytest.mark.django_db
def test_monitor_reading_after_a_hand_entered_pre_dose_level_alerts(session):
    record(session, 5, moaas=5)
    start_dose(session, DOSE_AT)
    device = MonitorDevice.objects.create(center=session.patient.center, label="Chair monitor", token_hash="n" * 64)
    readings = [{"idempotency_key": "post", "measured_at": BOOKED_AT + dt.timedelta(minutes=40), "moaas": 4}]
    with time_machine.travel(BOOKED_AT + dt.timedelta(minutes=41), tick=False):
        result = vital_signs_ingest(device=device, session=session, readings=readings)
    assert [alert for alert in result.alerts if alert.message.startswith(DROP)]
