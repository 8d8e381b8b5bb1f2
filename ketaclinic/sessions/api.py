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


class BatchOut(Schema):
    created: int
    duplicates: int
    alerts: list[str]


router = Router(tags=["monitors"], auth=DeviceToken())


@router.post("/sessions/{session_id}/vitals", response={200: BatchOut})
def vitals_post(request: HttpRequest, session_id: UUID, payload: BatchIn) -> BatchOut:
    device: MonitorDevice = request.auth  # type: ignore[attr-defined]
    session = device_session_get(device=device, session_id=session_id)
    result = vital_signs_ingest(device=device, session=session, readings=[r.dict() for r in payload.readings])
    return BatchOut(created=result.created, duplicates=result.duplicates, alerts=result.alerts)
