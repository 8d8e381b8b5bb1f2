"""Monitors post vital signs over real HTTP: per-device tokens, idempotent retries."""

from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.error
import urllib.request

import pytest
from django.db import connections
from django.test import Client

from ketaclinic.audit.models import AuditEntry
from ketaclinic.core.tokens import token_digest
from ketaclinic.sessions.models import MonitorDevice, VitalSign
from tests.factories import TreatmentCenterFactory
from tests.sessions.steps import TOKEN, batch, post

# A batch's readings are ten minutes apart; started this long before the session, the last is now.
BATCH_SPAN = dt.timedelta(minutes=20)


@pytest.fixture
def device(center):  # type: ignore[no-untyped-def]
    return MonitorDevice.objects.create(center=center, label="Chair 1A monitor", token_hash=token_digest(TOKEN))


@pytest.mark.django_db
def test_a_batch_is_stored_once_and_a_retry_adds_nothing(session, device):
    client = Client()
    first = post(client, session, batch(session.starts_at - BATCH_SPAN))
    assert first.status_code == 200
    assert (first.json()["created"], first.json()["duplicates"]) == (3, 0)
    assert any("is above 180" in alert for alert in first.json()["alerts"])  # 188 mmHg on the third reading
    retry = post(client, session, batch(session.starts_at - BATCH_SPAN)).json()
    assert (retry["created"], retry["duplicates"]) == (0, 3)
    assert VitalSign.objects.filter(session=session).count() == 3
    assert set(VitalSign.objects.values_list("source", flat=True)) == {"device"}
    assert AuditEntry.objects.filter(action="vital_sign.received", patient=session.patient).count() == 3


@pytest.mark.django_db
def test_the_rise_over_baseline_alert_uses_the_first_reading(session, device):
    body = post(Client(), session, batch(session.starts_at - BATCH_SPAN)).json()
    assert any("more than 40 above the baseline 128" in alert for alert in body["alerts"])


@pytest.mark.django_db
def test_unknown_tokens_and_other_centers_monitors_are_refused(session, device):
    assert post(Client(), session, batch(session.starts_at - BATCH_SPAN), token="wrong").status_code == 401
    elsewhere = TreatmentCenterFactory()
    MonitorDevice.objects.create(center=elsewhere, label="Other", token_hash=token_digest("other-center-token-000000"))
    assert (
        post(Client(), session, batch(session.starts_at - BATCH_SPAN), token="other-center-token-000000").status_code
        == 404
    )
    assert not VitalSign.objects.exists()


@pytest.mark.django_db
def test_an_impossible_reading_refuses_the_batch_and_stores_nothing(session, device):
    body = batch(session.starts_at - BATCH_SPAN)
    body["readings"][1]["spo2_percent"] = 140
    response = post(Client(), session, body)
    assert response.status_code == 422
    assert response.json()["code"] == "bad_reading"
    assert not VitalSign.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_over_http_never_duplicate_a_reading(live_server, session, device):
    url = f"{live_server.url}/api/v1/sessions/{session.external_id}/vitals"
    payload = json.dumps(batch(session.starts_at - BATCH_SPAN)).encode()
    results: list[dict] = []  # type: ignore[type-arg]
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def send() -> None:
        request = urllib.request.Request(
            url,
            data=payload,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
        )
        try:
            barrier.wait(timeout=10)
            with urllib.request.urlopen(request, timeout=30) as response:
                results.append(json.loads(response.read()))
        except (urllib.error.URLError, OSError, threading.BrokenBarrierError) as error:
            errors.append(error)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    connections.close_all()
    assert errors == []
    assert sum(r["created"] for r in results) == 3
    assert sum(r["duplicates"] for r in results) == 9
    assert VitalSign.objects.filter(session=session).count() == 3
