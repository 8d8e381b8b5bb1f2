"""The monitor API: a device posts a batch of readings for a session."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import HttpBearer

from ketaclinic.sessions.models import MonitorDevice
from ketaclinic.sessions.selectors.devices import device_for_token, device_session_get
from ketaclinic.sessions.services.ingestion import vital_signs_ingest


class DeviceToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> MonitorDevice | None:
        return device_for_token(token)


class ReadingIn(Schema):
    idempotency_key: str
    measured_at: dt.datetime
    systolic_mmhg: int | None = None
    diastolic_mmhg: int | None = None
    heart_rate_bpm: int | None = None
    spo2_percent: int | None = None
    respiratory_rate: int | None = None
    moaas: int | None = None
    dissociation: int | None = None
    nausea: int | None = None


class BatchIn(Schema):
    readings: list[ReadingIn]


class AlertOut(Schema):
    """One alert a new reading raised, as data: the rule, the value and the limit it crossed."""

    idempotency_key: str
    rule_id: str
    rule_version: str
    measure: str
    value: int
    kind: str
    threshold: int
    # The session's baseline (a rise) or the level before the dose (a drop) it was compared with.
    compared_with: int | None = None


class BatchOut(Schema):
    created: int
    duplicates: int
    # Each alert's sentence, as monitors have always read it; ``alert_details`` holds the same as data.
    alerts: list[str]
    alert_details: list[AlertOut]


router = Router(tags=["monitors"], auth=DeviceToken())


@router.post("/sessions/{session_id}/vitals", response={200: BatchOut})
def vitals_post(request: HttpRequest, session_id: UUID, payload: BatchIn) -> BatchOut:
    device: MonitorDevice = request.auth  # type: ignore[attr-defined]
    session = device_session_get(device=device, session_id=session_id)
    result = vital_signs_ingest(device=device, session=session, readings=[r.dict() for r in payload.readings])
    details = [
        AlertOut(
            idempotency_key=sign.idempotency_key,
            rule_id=alert.rule_id,
            rule_version=alert.version,
            measure=alert.measure,
            value=alert.value,
            kind=str(alert.kind),
            threshold=alert.threshold,
            compared_with=alert.compared_with,
        )
        for sign in result.readings
        for alert in (stored.threshold_alert for stored in sign.reading_alerts)
        if alert is not None
    ]
    return BatchOut(
        created=result.created,
        duplicates=result.duplicates,
        alerts=[alert.message for alert in result.alerts],
        alert_details=details,
    )
