"""Threshold alerts are data on the reading: rendered in the reader's language, acknowledged, resolved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from ketaclinic.audit.models import AuditEntry
from ketaclinic.core.errors import Forbidden, RuleViolation
from ketaclinic.core.monitoring import THRESHOLDS, check_reading
from ketaclinic.core.permissions import Role
from ketaclinic.sessions.models import AlertState, MonitorDevice, ReadingAlert, VitalSign
from ketaclinic.sessions.selectors.board import chair_board
from ketaclinic.sessions.services.alerts import vital_sign_alert_acknowledge
from ketaclinic.sessions.services.flowsheet import vital_sign_record
from ketaclinic.sessions.services.ingestion import vital_signs_ingest
from ketaclinic.sessions.services.rems import rems_form_open
from tests.factories import StaffFactory
from tests.sessions.steps import TOKEN, post
from tests.steps import acting, signed_in

VERSION = THRESHOLDS.version
OXYGEN = "Stimulate, give oxygen per protocol, notify the prescriber."
PAUSE = "Pause or slow the infusion, recheck in 5 minutes, notify the prescriber."


def record(session, minutes_ago: int, **values: int) -> VitalSign:  # type: ignore[no-untyped-def]
    at = timezone.now() - dt.timedelta(minutes=minutes_ago)
    return vital_sign_record(actor=acting(session.nurse), session=session, values=values, measured_at=at)


def fresh(sign: VitalSign) -> list[ReadingAlert]:
    return VitalSign.objects.get(pk=sign.pk).reading_alerts


def flowsheet(session) -> str:  # type: ignore[no-untyped-def]
    url = reverse("sessions:flowsheet", kwargs={"session_id": session.external_id})
    return signed_in(session.nurse).get(url).content.decode()


def acknowledge_url(sign: VitalSign, position: int) -> str:
    return reverse(
        "sessions:alert_acknowledge",
        kwargs={"session_id": sign.session.external_id, "reading_id": sign.external_id, "position": position},
    )


def at(moment: dt.datetime, session) -> str:  # type: ignore[no-untyped-def]
    return f"{timezone.localtime(moment, session.patient.center.zone):%H:%M}"


# --- stored as data ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_alert_is_stored_as_its_rule_measure_value_limit_and_version(session):
    sign = record(session, 20, systolic_mmhg=130, spo2_percent=89)
    (stored,) = VitalSign.objects.get(pk=sign.pk).alerts
    assert {key: stored[key] for key in ("rule_id", "measure", "value", "kind", "threshold", "compared_with")} == {
        "rule_id": "spo2_low",
        "measure": "spo2_percent",
        "value": 89,
        "kind": "below",
        "threshold": 92,
        "compared_with": None,
    }
    assert (stored["rule_version"], stored["response"], stored["state"]) == (VERSION, OXYGEN, "open")
    assert stored["legacy_text"] == "" and stored["acknowledged_at"] is None and stored["resolved_at"] is None
    # The sentence is rendered from the data, in the words it always had.
    assert sign.alert_messages == [f"SpO2: 89 % is below 92 %. {OXYGEN} (rule spo2_low, {VERSION})"]
    # The history entry carries the structured alert.
    entry = AuditEntry.objects.get(action="vital_sign.recorded", object_id=str(sign.external_id))
    assert entry.changes["alerts"] == [None, [stored]]


@pytest.mark.django_db
def test_a_rise_keeps_the_baseline_it_was_compared_with(session):
    record(session, 30, systolic_mmhg=120)
    sign = record(session, 20, systolic_mmhg=175)
    (alert,) = fresh(sign)
    assert (alert.rule_id, alert.kind, alert.threshold, alert.compared_with) == (
        "systolic_rise",
        "rise_over_baseline",
        40,
        120,
    )


@pytest.mark.django_db
def test_a_reading_refuses_alerts_that_do_not_fit_the_schema(session):
    sentence = f"SpO2: 89 % is below 92 %. {OXYGEN} (rule spo2_low, {VERSION})"
    good = ReadingAlert.raised(check_reading({"spo2_percent": 89}, baseline={})[0]).as_json()
    for bad in (sentence, {**good, "kind": "somewhat_low"}, {**good, "threshold": None}, {**good, "colour": "red"}):
        sign = VitalSign(
            session=session, measured_at=timezone.now(), source="hand", idempotency_key="k", spo2_percent=89
        )
        sign.alerts = [bad]
        with pytest.raises(ValueError, match=r"(?i)alert"):
            sign.save()
    assert not VitalSign.objects.exists()


# --- rendered in the reader's language ------------------------------------------------------------


@pytest.mark.django_db
def test_the_sentence_is_rendered_in_spanish_for_a_spanish_reader(session):
    record(session, 40, systolic_mmhg=120)
    spo2 = record(session, 30, spo2_percent=89)
    rise = record(session, 20, systolic_mmhg=175)
    nausea = record(session, 10, nausea=2)
    with translation.override("es"):
        assert spo2.alert_messages == [f"SpO2: 89 % está por debajo de 92 %. {OXYGEN} (regla spo2_low, {VERSION})"]
        assert rise.alert_messages == [
            f"PA sistólica: 175 mmHg supera en más de 40 el valor basal 120. {PAUSE} (regla systolic_rise, {VERSION})"
        ]
        assert nausea.alert_messages == [
            "Náuseas: vómitos es igual o superior a náuseas. Give an antiemetic per standing order "
            f"(e.g. ondansetron). (regla nausea_any, {VERSION})"
        ]
    # The same data reads in English again for an English reader; the rule's response never changes.
    assert rise.alert_messages == [
        f"Systolic BP: 175 mmHg is more than 40 above the baseline 120. {PAUSE} (rule systolic_rise, {VERSION})"
    ]


# --- acknowledged by a nurse ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_nurse_acknowledges_an_open_alert_from_the_flowsheet(session):
    nurse = session.nurse
    sign = record(session, 10, systolic_mmhg=190)
    page = flowsheet(session)
    assert "Open." in page and f'action="{acknowledge_url(sign, 0)}"' in page
    # A POST without the form's CSRF token is refused, as every flowsheet action is.
    unprotected = Client(enforce_csrf_checks=True)
    unprotected.force_login(nurse)
    assert unprotected.post(acknowledge_url(sign, 0)).status_code == 403
    assert fresh(sign)[0].state == AlertState.OPEN

    response = signed_in(nurse).post(acknowledge_url(sign, 0), follow=True)
    assert response.status_code == 200
    (alert,) = fresh(sign)
    assert alert.state == AlertState.ACKNOWLEDGED and alert.acknowledged_by_id == nurse.pk
    assert alert.acknowledged_by == (nurse.get_full_name() or nurse.get_username())
    entry = AuditEntry.objects.get(action="vital_sign_alert.acknowledged", kind="change")
    assert entry.object_id == str(sign.external_id) and entry.actor_id == nurse.pk
    before, after = entry.changes["alerts"]
    assert (before[0]["state"], after[0]["state"]) == ("open", "acknowledged")
    page = flowsheet(session)
    assert f"<strong>Acknowledged</strong> by {alert.acknowledged_by}" in page
    assert "190 mmHg is above 180 mmHg" in page  # the sentence stays

    again = signed_in(nurse).post(acknowledge_url(sign, 0), follow=True).content.decode()
    assert "already acknowledged" in again
    assert AuditEntry.objects.filter(action="vital_sign_alert.acknowledged", kind="change").count() == 1


@pytest.mark.django_db
def test_only_a_role_that_records_vitals_may_acknowledge(center, other_center, session):
    sign = record(session, 10, spo2_percent=88)
    with pytest.raises(Forbidden):
        vital_sign_alert_acknowledge(
            actor=acting(StaffFactory(center=center, role=Role.FRONT_DESK)), sign=sign, position=0
        )
    elsewhere = StaffFactory(center=other_center, role=Role.NURSE)
    with pytest.raises(Forbidden):
        vital_sign_alert_acknowledge(actor=acting(elsewhere), sign=sign, position=0)
    assert fresh(sign)[0].state == AlertState.OPEN


# --- resolved by a later reading ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_later_reading_that_no_longer_crosses_the_rule_resolves_the_alert(session):
    high = record(session, 40, systolic_mmhg=190)
    vital_sign_alert_acknowledge(actor=acting(session.nurse), sign=high, position=0)
    still = record(session, 30, systolic_mmhg=185)
    assert [a.state for a in fresh(high)] == [AlertState.ACKNOWLEDGED]  # still above: still open
    other = record(session, 20, heart_rate_bpm=70)
    assert [a.state for a in fresh(high) + fresh(still)] == [AlertState.ACKNOWLEDGED, AlertState.OPEN]
    assert not other.alerts  # another measure resolves nothing

    normal = record(session, 10, systolic_mmhg=130)
    for sign in (high, still):
        (alert,) = fresh(sign)
        assert alert.state == AlertState.RESOLVED
        assert (alert.resolved_by, alert.resolved_at) == (str(normal.external_id), normal.measured_at)
    assert fresh(high)[0].acknowledged_by  # who acknowledged it stays on it
    entries = AuditEntry.objects.filter(action="vital_sign_alert.resolved")
    assert sorted(entries.values_list("object_id", flat=True)) == sorted(
        [str(high.external_id), str(still.external_id)]
    )
    assert {e.actor_id for e in entries} == {session.nurse.pk}

    # The last three readings' alerts stay listed, resolved; an older resolved one leaves the list.
    page = flowsheet(session)
    assert page.count(f"the reading at {at(normal.measured_at, session)} no longer crosses this limit") == 1
    with pytest.raises(RuleViolation) as refused:
        vital_sign_alert_acknowledge(actor=acting(session.nurse), sign=still, position=0)
    assert refused.value.code == "alert_already_resolved"


@pytest.mark.django_db
def test_a_reading_charted_late_is_resolved_by_a_later_reading_already_on_file(session):
    normal = record(session, 10, systolic_mmhg=130)
    late = record(session, 20, systolic_mmhg=190)  # taken before ``normal``, charted after it
    assert {a.rule_id for a in fresh(late)} == {"systolic_high", "systolic_rise"}
    assert {(a.state, a.resolved_by) for a in fresh(late)} == {(AlertState.RESOLVED, str(normal.external_id))}
    assert not AuditEntry.objects.filter(action="vital_sign_alert.resolved").exists()  # nothing earlier changed


@pytest.mark.django_db
def test_a_monitor_batch_resolves_an_alert_with_a_later_reading_of_the_same_batch(center, session):
    device = MonitorDevice.objects.create(center=center, label="Chair monitor", token_hash="a" * 64)
    now = timezone.now()
    readings = [
        {"idempotency_key": "high", "measured_at": now - dt.timedelta(minutes=10), "spo2_percent": 89},
        {"idempotency_key": "back", "measured_at": now - dt.timedelta(minutes=5), "spo2_percent": 97},
    ]
    result = vital_signs_ingest(device=device, session=session, readings=readings)
    assert [alert.rule_id for alert in result.alerts] == ["spo2_low"]
    high, back = VitalSign.objects.order_by("measured_at")
    (alert,) = high.reading_alerts
    assert (alert.state, alert.resolved_by) == (AlertState.RESOLVED, str(back.external_id))
    entry = AuditEntry.objects.get(action="vital_sign_alert.resolved")
    assert (entry.object_id, entry.actor_id, entry.actor_label) == (
        str(high.external_id),
        None,
        "monitor Chair monitor",
    )
    received = AuditEntry.objects.get(action="vital_sign.received", object_id=str(high.external_id))
    assert received.changes["alerts"][0]["rule_id"] == "spo2_low"  # as raised, before the later reading


@pytest.mark.django_db
def test_the_monitor_api_keeps_its_sentences_and_adds_each_alert_as_data(session):
    from ketaclinic.core.tokens import token_digest

    MonitorDevice.objects.create(center=session.patient.center, label="Chair 1A", token_hash=token_digest(TOKEN))
    start = session.starts_at
    body = post(
        Client(),
        session,
        {
            "readings": [
                {"idempotency_key": "a", "measured_at": start.isoformat(), "systolic_mmhg": 128},
                {
                    "idempotency_key": "b",
                    "measured_at": (start + dt.timedelta(minutes=5)).isoformat(),
                    "systolic_mmhg": 188,
                },
            ]
        },
    ).json()
    assert body["alerts"] == [
        f"Systolic BP: 188 mmHg is above 180 mmHg. {PAUSE} (rule systolic_high, {VERSION})",
        f"Systolic BP: 188 mmHg is more than 40 above the baseline 128. {PAUSE} (rule systolic_rise, {VERSION})",
    ]
    assert body["alert_details"] == [
        {"idempotency_key": "b", "rule_id": "systolic_high", "rule_version": VERSION, "measure": "systolic_mmhg",
         "value": 188, "kind": "above", "threshold": 180, "compared_with": None},
        {"idempotency_key": "b", "rule_id": "systolic_rise", "rule_version": VERSION, "measure": "systolic_mmhg",
         "value": 188, "kind": "rise_over_baseline", "threshold": 40, "compared_with": 128},
    ]  # fmt: skip


# --- the chair board ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_board_counts_the_sessions_alerts_by_state(center, session):
    both = record(session, 40, systolic_mmhg=190, spo2_percent=89)
    assert [a.rule_id for a in both.reading_alerts] == ["systolic_high", "spo2_low"]
    vital_sign_alert_acknowledge(actor=acting(session.nurse), sign=both, position=1)
    record(session, 30, systolic_mmhg=130)  # resolves systolic_high
    record(session, 25, heart_rate_bpm=130)  # a new open alert
    for minutes in (15, 10, 5):  # three quiet readings: no recent reading has an alert
        record(session, minutes, nausea=0)
    (line,) = chair_board(actor=acting(session.nurse), center_id=center.pk)
    assert (line.alerts_open, line.alerts_acknowledged, line.alerts_resolved) == (1, 1, 1)
    assert line.alert_count == 0
    board = signed_in(session.nurse).get(reverse("sessions:board")).content.decode()
    assert "Alerts: <strong>1 open</strong> · 1 acknowledged · 1 resolved" in board
    assert "Open alerts from earlier readings" in board and "No open alerts" not in board


# --- the REMS form, from data ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("alerts", "answer"),
    [
        (check_reading({"respiratory_rate": 6}, baseline={}), "yes"),
        (check_reading({"systolic_mmhg": 190}, baseline={}), "no"),
        ((ReadingAlert(legacy_text="Respiratory rate: 6/min (old words)", measure="respiratory_rate"),), "yes"),
    ],
)
def test_rems_respiratory_depression_reads_the_alerts_measure_not_its_words(recorded, rems_nurse, alerts, answer):
    late = VitalSign.objects.filter(session=recorded).order_by("-measured_at").first()
    assert late is not None
    late.alerts = [(a if isinstance(a, ReadingAlert) else ReadingAlert.raised(a)).as_json() for a in alerts]
    late.save()
    assert rems_form_open(actor=acting(rems_nurse), session=recorded).values["respiratory_depression"] == answer


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["completed", "cancelled", "no_show"])
def test_an_alert_on_a_closed_session_cannot_be_acknowledged(session, status):
    sign = record(session, 10, spo2_percent=88)
    session.status = status
    session.save(update_fields=["status"])
    with pytest.raises(RuleViolation) as refused:
        vital_sign_alert_acknowledge(actor=acting(session.nurse), sign=sign, position=0)
    assert refused.value.code == "session_closed" and "can no longer be acknowledged" in str(refused.value.message)
    assert fresh(sign)[0].state == AlertState.OPEN
    assert not AuditEntry.objects.filter(action="vital_sign_alert.acknowledged").exists()
