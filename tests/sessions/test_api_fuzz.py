"""Schemathesis over the API's own OpenAPI, through real HTTP with a real device token: no request
it can make from the schema, valid or not, gets a server error (issue 17: "0 5xx").

Bounded and derandomized: the same examples every run, well under a minute.
"""

from __future__ import annotations

import datetime as dt
import zlib

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from ketaclinic.core.tokens import token_digest
from ketaclinic.sessions.models import MonitorDevice
from tests.sessions.steps import TOKEN

EXAMPLES = 60


# The schema as the app serves it at /api/v1/openapi.json, read through its WSGI application (no
# database needed); the requests themselves go over real HTTP to ``live_server``.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def monitor(session):  # type: ignore[no-untyped-def]
    MonitorDevice.objects.create(
        center=session.patient.center, label="Chair 1A monitor", token_hash=token_digest(TOKEN)
    )
    return session


OPERATIONS = [result.ok() for result in schema.get_all_operations()]


def test_no_operation_answers_with_a_server_error_and_the_fuzz_reaches_the_storing(
    live_server, transactional_db, monitor
):  # type: ignore[no-untyped-def]
    """Every operation of the schema, fuzzed; then the run must have stored and refused readings,
    not just met 404s, or it proved nothing about the rules behind the door."""
    statuses: list[int] = []

    def probe(case) -> None:  # type: ignore[no-untyped-def]
        # Half the examples aim at the device's own session, so they reach the readings' rules;
        # the rest keep the schema's own (unknown) session id and are answered 404.
        pick = zlib.crc32(repr(case.body).encode()) % 4
        if "session_id" in (case.path_parameters or {}) and pick < 2:
            case.path_parameters["session_id"] = str(monitor.external_id)
            # And of those, half are dated inside the session's window, to reach the storing itself.
            readings = case.body.get("readings") if isinstance(case.body, dict) else None
            if pick == 0 and isinstance(readings, list):
                for reading in readings:
                    if isinstance(reading, dict) and "measured_at" in reading:
                        reading["measured_at"] = (timezone.now() - dt.timedelta(minutes=1)).isoformat()
        response = case.call_and_validate(
            base_url=live_server.url,
            headers={"Authorization": f"Bearer {TOKEN}"},
            checks=[not_a_server_error],
        )
        statuses.append(response.status_code)

    assert OPERATIONS
    for operation in OPERATIONS:
        settings(
            max_examples=EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )(given(case=operation.as_strategy())(probe))()
    assert 200 in statuses
    assert 422 in statuses
