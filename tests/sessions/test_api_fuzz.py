"""Schemathesis over the API's own OpenAPI, through real HTTP with a real device token: no request
it can make from the schema, valid or not, gets a server error (issue 17: "0 5xx").

Bounded and derandomized: the same examples every run, well under a minute.
"""

from __future__ import annotations

import zlib

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
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


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_operation_answers_with_a_server_error(case, live_server, transactional_db, monitor):  # type: ignore[no-untyped-def]
    # Half the examples aim at the device's own session, so they reach the readings' rules;
    # the rest keep the schema's own (unknown) session id and are answered 404.
    if "session_id" in (case.path_parameters or {}) and zlib.crc32(repr(case.body).encode()) % 2 == 0:
        case.path_parameters["session_id"] = str(monitor.external_id)
    case.call_and_validate(
        base_url=live_server.url,
        headers={"Authorization": f"Bearer {TOKEN}"},
        checks=[not_a_server_error],
    )
