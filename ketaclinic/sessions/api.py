"""The monitor API: a device posts a batch of readings for a session."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.security import HttpBearer
from pydantic import AwareDatetime, ConfigDict

from ketaclinic.core.errors import DomainError
from ketaclinic.sessions.models import MonitorDevice
from ketaclinic.sessions.selectors.devices import device_for_token, device_session_get
from ketaclinic.sessions.services.ingestion import (
    MAX_BATCH,
    MAX_KEY_LENGTH,
    ReadingKeyReused,
    ReadingsRefused,
    vital_signs_ingest,
)
from ketaclinic.sessions.services.reading_window import READING_CLOCK_SKEW, SESSION_LEAD_TIME

SKEW_MINUTES = int(READING_CLOCK_SKEW.total_seconds() // 60)
LEAD_MINUTES = int(SESSION_LEAD_TIME.total_seconds() // 60)

VITALS_POST_DESCRIPTION = f"""
Post a batch of readings (1 to {MAX_BATCH}) for one session at the monitor's center, as
`application/json` (any other content type is refused with 415). Unknown fields are refused (422).

**Which readings are kept.** A reading's `measured_at` must carry a time zone (a time without one
is refused) and fall inside the session's window: from {LEAD_MINUTES} minutes before the booked
start to now plus {SKEW_MINUTES} minutes of clock skew (a monitor's clock may run a little
ahead of the server's), and, once the session is completed, not after its discharge check (the
time the discharge assessment that completed it was made). A cancelled or missed session takes no
readings. The idempotency key is 1 to {MAX_KEY_LENGTH} printable characters, without control
characters.

**All or nothing.** When any reading is refused, nothing of the batch is stored: the 422 answer
lists each refused reading with its key, a code and the reason, and the monitor may resend the
rest. A reading whose key is already stored with the same values is a duplicate (counted, not
stored again); one whose key is stored with other values refuses the batch with 409 naming it.
"""


class DeviceToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> MonitorDevice | None:
        return device_for_token(token)


class ReadingIn(Schema):
    model_config = ConfigDict(extra="forbid")

    idempotency_key: str = Field(min_length=1, max_length=MAX_KEY_LENGTH)
    measured_at: AwareDatetime
    systolic_mmhg: int | None = None
    diastolic_mmhg: int | None = None
    heart_rate_bpm: int | None = None
    spo2_percent: int | None = None
    respiratory_rate: int | None = None
    moaas: int | None = None
    dissociation: int | None = None
    nausea: int | None = None


class BatchIn(Schema):
    model_config = ConfigDict(extra="forbid")

    readings: list[ReadingIn] = Field(min_length=1)


class ReadingRefusalOut(Schema):
    """One reading of the batch that was refused: its key, a code and the reason."""

    idempotency_key: str
    code: str
    message: str


class ProblemOut(Schema):
    """Why a request was refused; ``readings`` names each refused reading, when there are any."""

    code: str
    message: str
    field: str | None = None
    readings: list[ReadingRefusalOut] = []


class DetailOut(Schema):
    """A refusal from the API's frame: a body that is not JSON (400), a missing or unknown token
    (401) or a body that does not fit the schema (422, ``detail`` lists each error with where it
    is, e.g. the reading's index)."""

    detail: Any


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


def _problem(error: DomainError, readings: list[Any] | None = None) -> ProblemOut:
    return ProblemOut(
        code=error.code,
        message=str(error.message),
        field=error.field,
        readings=[
            ReadingRefusalOut(idempotency_key=r.idempotency_key, code=r.code, message=r.message) for r in readings or []
        ],
    )


@router.post(
    "/sessions/{session_id}/vitals",
    response={
        200: BatchOut,
        400: DetailOut,
        401: DetailOut,
        403: ProblemOut,
        404: ProblemOut,
        409: ProblemOut,
        413: ProblemOut,
        415: ProblemOut,
        422: ProblemOut | DetailOut,
    },
    summary="Post a batch of readings",
    description=VITALS_POST_DESCRIPTION,
)
def vitals_post(request: HttpRequest, session_id: UUID, payload: BatchIn) -> Any:
    device: MonitorDevice = request.auth  # type: ignore[attr-defined]
    if request.content_type != "application/json":
        return Status(
            415, ProblemOut(code="unsupported_media_type", message=_("Send the readings as application/json."))
        )
    session = device_session_get(device=device, session_id=session_id)
    try:
        result = vital_signs_ingest(device=device, session=session, readings=[r.dict() for r in payload.readings])
    except ReadingsRefused as refused:
        return Status(422, _problem(refused, refused.refusals))
    except ReadingKeyReused as reused:
        return Status(409, _problem(reused, reused.refusals))
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
