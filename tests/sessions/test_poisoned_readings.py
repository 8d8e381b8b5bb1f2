"""A poisoned reading: a time outside the session's window is refused, reading by reading, and one
already stored never takes the flowsheet or the chair board down (issue 17, items 1 and 6).

Every time here is pinned (time_machine, no tick) to the session's own clock, so the results do not
depend on when the suite runs. The rules hold on both databases: nothing here stores a time that
PostgreSQL could keep but not give back.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.test import Client

from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.permissions import Perm
from ketaclinic.core.tokens import token_digest
from ketaclinic.sessions.models import MonitorDevice, TreatmentSession, VitalSign
from ketaclinic.sessions.selectors.board import chair_board
from ketaclinic.sessions.selectors.flowsheet import flowsheet_get
from ketaclinic.sessions.services.flowsheet import vital_sign_record
from ketaclinic.sessions.services.reading_window import READING_CLOCK_SKEW, SESSION_LEAD_TIME
from tests.factories import StaffFactory
from tests.sessions.steps import TOKEN, esketamine_session, post, reading, record_a_session
from tests.steps import acting

# The moment every test runs at: half an hour into the session.
INTO_SESSION = dt.timedelta(minutes=30)


@pytest.fixture
def device(center):  # type: ignore[no-untyped-def]
    return MonitorDevice.objects.create(center=center, label="Chair 1A monitor", token_hash=token_digest(TOKEN))


def one(key: str, measured_at: str, **values: int) -> dict:  # type: ignore[type-arg]
    return {"readings": [{"idempotency_key": key, "measured_at": measured_at, "heart_rate_bpm": 72, **values}]}


def at(moment: dt.datetime) -> str:
    return moment.isoformat()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("measured_at", "code"),
    [
        ("1900-01-01T09:00:00+00:00", "reading_before_session"),
        ("2999-01-01T09:00:00+00:00", "reading_in_future"),
        ("9999-12-31T23:59:59-14:00", "reading_in_future"),
        ("0001-01-01T00:00:00+14:00", "reading_before_session"),
    ],
)
def test_a_reading_dated_out_of_reach_is_refused_naming_it(session, device, measured_at, code):
    with time_machine.travel(session.starts_at + INTO_SESSION, tick=False):
        response = post(Client(), session, one("far-away", measured_at))
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "bad_reading"
    assert [(r["idempotency_key"], r["code"]) for r in body["readings"]] == [("far-away", code)]
    assert body["readings"][0]["message"]
    assert not VitalSign.objects.exists()


@pytest.mark.django_db
def test_the_window_runs_from_the_lead_time_to_now_plus_the_clock_skew(session, device):
    now = session.starts_at + INTO_SESSION
    with time_machine.travel(now, tick=False):
        edges = {
            "first-allowed": session.starts_at - SESSION_LEAD_TIME,
            "last-allowed": now + READING_CLOCK_SKEW,
        }
        ok = post(Client(), session, {"readings": [one(k, at(v))["readings"][0] for k, v in edges.items()]})
        assert ok.status_code == 200, ok.content
        assert ok.json()["created"] == 2
        early = post(
            Client(), session, one("too-early", at(session.starts_at - SESSION_LEAD_TIME - dt.timedelta(seconds=1)))
        )
        late = post(Client(), session, one("too-late", at(now + READING_CLOCK_SKEW + dt.timedelta(seconds=1))))
    assert early.json()["readings"][0]["code"] == "reading_before_session"
    assert late.json()["readings"][0]["code"] == "reading_in_future"
    assert VitalSign.objects.count() == 2


@pytest.mark.django_db
def test_a_time_without_a_time_zone_is_refused_even_among_aware_ones(session, device):
    with time_machine.travel(session.starts_at + INTO_SESSION, tick=False):
        good = one("aware", at(session.starts_at))["readings"][0]
        naive = one("naive", session.starts_at.replace(tzinfo=None).isoformat())["readings"][0]
        response = post(Client(), session, {"readings": [good, naive]})
    assert response.status_code == 422
    assert "measured_at" in json.dumps(response.json())
    assert not VitalSign.objects.exists()


@pytest.mark.django_db
def test_one_bad_reading_refuses_the_batch_and_names_each_bad_one(session, device):
    with time_machine.travel(session.starts_at + INTO_SESSION, tick=False):
        readings = [
            one("good", at(session.starts_at))["readings"][0],
            one("old", "2020-01-01T00:00:00+00:00")["readings"][0],
            one("ahead", "2999-01-01T00:00:00+00:00")["readings"][0],
        ]
        response = post(Client(), session, {"readings": readings})
    assert response.status_code == 422
    assert {r["idempotency_key"]: r["code"] for r in response.json()["readings"]} == {
        "old": "reading_before_session",
        "ahead": "reading_in_future",
    }
    assert not VitalSign.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["k" * 101, "bad\x00key", "tab\tkey", ""])
def test_an_idempotency_key_too_long_or_with_control_characters_is_refused(session, device, key):
    with time_machine.travel(session.starts_at + INTO_SESSION, tick=False):
        response = post(Client(), session, one(key, at(session.starts_at)))
    assert response.status_code == 422
    assert not VitalSign.objects.exists()


@pytest.mark.django_db
def test_a_completed_session_takes_readings_up_to_its_discharge_and_none_after(center):
    nurse = StaffFactory(center=center)
    session = esketamine_session(center=center, nurse=nurse)
    record_a_session(session, verifier=StaffFactory(center=center))
    MonitorDevice.objects.create(center=session.patient.center, label="Chair 2 monitor", token_hash=token_digest(TOKEN))
    discharged = session.starts_at + dt.timedelta(minutes=135)
    with time_machine.travel(session.starts_at + dt.timedelta(days=1), tick=False):
        buffered = post(Client(), session, one("buffered", at(discharged - dt.timedelta(minutes=1))))
        after = post(Client(), session, one("after", at(discharged + dt.timedelta(minutes=1))))
        with pytest.raises(RuleViolation) as by_hand:
            vital_sign_record(
                actor=acting(nurse),
                session=session,
                values={"heart_rate_bpm": 70},
                measured_at=discharged + dt.timedelta(minutes=5),
            )
    assert buffered.status_code == 200
    assert after.status_code == 422
    assert after.json()["readings"][0]["code"] == "reading_after_session"
    assert by_hand.value.code == "reading_after_session"


@pytest.mark.django_db
def test_a_cancelled_session_takes_no_reading(session, device):
    session.status = TreatmentSession.Status.CANCELLED
    session.save()
    with time_machine.travel(session.starts_at + INTO_SESSION, tick=False):
        response = post(Client(), session, one("r1", at(session.starts_at)))
    assert response.status_code == 422
    assert response.json()["readings"][0]["code"] == "session_closed"


@pytest.mark.django_db
def test_the_hand_entry_refuses_a_time_zone_less_time_through_the_same_rule(session):
    with time_machine.travel(session.starts_at + INTO_SESSION, tick=False), pytest.raises(RuleViolation) as raised:
        vital_sign_record(
            actor=acting(session.nurse),
            session=session,
            values={"heart_rate_bpm": 70},
            measured_at=session.starts_at.replace(tzinfo=None),
        )
    assert raised.value.code == "reading_without_time_zone"


# --- a row already stored, from before times were checked --------------------------------------


@pytest.mark.django_db
def test_a_reading_stored_far_ahead_does_not_silence_late_on_the_board_or_the_flowsheet(center, session):
    reading(session, 0, heart_rate_bpm=72)
    VitalSign.objects.create(
        session=session,
        measured_at=dt.datetime(2999, 1, 1, tzinfo=dt.UTC),
        source=VitalSign.Source.DEVICE,
        idempotency_key="poisoned",
        heart_rate_bpm=72,
    )
    interval = dt.timedelta(minutes=session.plan.monitoring_interval_minutes)
    actor = acting(session.nurse)
    with time_machine.travel(session.starts_at + interval + dt.timedelta(minutes=10), tick=False):
        [line] = [line for line in chair_board(actor=actor, center_id=center.pk) if line.session.pk == session.pk]
        sheet = flowsheet_get(actor=actor, perm=Perm.SESSION_VIEW, session_id=session.external_id)
    assert line.is_late
    assert line.next_due_at == session.starts_at + interval
    assert sheet.is_late
    assert sheet.next_due_at == session.starts_at + interval
    assert len(sheet.readings) == 2  # the poisoned row is still shown, not hidden


@pytest.mark.django_db
def test_a_reading_stored_at_the_last_moment_a_date_can_hold_does_not_take_the_board_down(center, session):
    VitalSign.objects.create(
        session=session,
        measured_at=dt.datetime(9999, 12, 31, 23, 0, tzinfo=dt.UTC),
        source=VitalSign.Source.DEVICE,
        idempotency_key="end-of-time",
        systolic_mmhg=120,
        diastolic_mmhg=80,
    )
    actor = acting(session.nurse)
    with time_machine.travel(session.starts_at + INTO_SESSION, tick=False):
        lines = chair_board(actor=actor, center_id=center.pk)
        sheet = flowsheet_get(actor=actor, perm=Perm.SESSION_VIEW, session_id=session.external_id)
    assert [line.session.pk for line in lines] == [session.pk]
    assert lines[0].is_late
    assert sheet.is_late


# --- item 6: a reused key, unknown fields, the content type -------------------------------------


@pytest.mark.django_db
def test_a_reused_key_with_other_values_is_a_conflict_naming_the_reading(session, device):
    with time_machine.travel(session.starts_at + INTO_SESSION, tick=False):
        first = post(Client(), session, one("r1", at(session.starts_at), heart_rate_bpm=72))
        same = post(Client(), session, one("r1", at(session.starts_at), heart_rate_bpm=72))
        other = post(Client(), session, one("r1", at(session.starts_at), heart_rate_bpm=99))
        moved = post(Client(), session, one("r1", at(session.starts_at + dt.timedelta(minutes=1)), heart_rate_bpm=72))
    assert (first.status_code, first.json()["created"]) == (200, 1)
    assert (same.status_code, same.json()["duplicates"]) == (200, 1)
    for response in (other, moved):
        assert response.status_code == 409
        assert response.json()["code"] == "idempotency_key_reused"
        assert "r1" in response.json()["message"]
        assert [r["idempotency_key"] for r in response.json()["readings"]] == ["r1"]
    assert VitalSign.objects.get().heart_rate_bpm == 72


@pytest.mark.django_db
def test_a_reused_key_refuses_the_whole_batch(session, device):
    with time_machine.travel(session.starts_at + INTO_SESSION, tick=False):
        post(Client(), session, one("r1", at(session.starts_at)))
        both = {
            "readings": [
                one("r2", at(session.starts_at + dt.timedelta(minutes=5)))["readings"][0],
                one("r1", at(session.starts_at), heart_rate_bpm=140)["readings"][0],
            ]
        }
        response = post(Client(), session, both)
    assert response.status_code == 409
    assert list(VitalSign.objects.values_list("idempotency_key", flat=True)) == ["r1"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"readings": [], "extra": 1},
        {"readings": [{"idempotency_key": "r1", "measured_at": "2026-01-01T00:00:00+00:00", "temperature": 37}]},
    ],
)
def test_unknown_fields_are_refused(session, device, body):
    response = post(Client(), session, body)
    assert response.status_code == 422
    assert not VitalSign.objects.exists()


@pytest.mark.django_db
def test_a_body_that_is_not_json_is_refused_with_415(session, device):
    with time_machine.travel(session.starts_at + INTO_SESSION, tick=False):
        response = Client().post(
            f"/api/v1/sessions/{session.external_id}/vitals",
            json.dumps(one("r1", at(session.starts_at))),
            content_type="text/plain",
            HTTP_AUTHORIZATION=f"Bearer {TOKEN}",
        )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert not VitalSign.objects.exists()


@pytest.mark.django_db
def test_a_batch_over_the_limit_is_refused_with_413(session, device):
    with time_machine.travel(session.starts_at + INTO_SESSION, tick=False):
        readings = [one(f"r{n}", at(session.starts_at))["readings"][0] for n in range(501)]
        response = post(Client(), session, {"readings": readings})
    assert response.status_code == 413
    assert response.json()["code"] == "batch_size"
    assert not VitalSign.objects.exists()


@pytest.mark.django_db
def test_the_openapi_lists_each_error_answer_and_the_window(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/sessions/{session_id}/vitals"]["post"]
    assert {"200", "401", "403", "404", "409", "413", "415", "422"} <= set(operation["responses"])
    for status in ("401", "403", "404", "409", "413", "415", "422"):
        assert operation["responses"][status]["content"]["application/json"]["schema"]
    assert "5 minutes of clock skew" in operation["description"]
    assert "nothing of the batch is stored" in operation["description"]
    reading_in = schema["components"]["schemas"]["ReadingIn"]
    assert reading_in["additionalProperties"] is False
    assert reading_in["properties"]["idempotency_key"]["maxLength"] == 100
