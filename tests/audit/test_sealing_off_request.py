"""Sealing never runs inside a request: a vitals POST costs the same whatever the unsealed backlog."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketaclinic.audit.models import AuditEntry
from ketaclinic.audit.services import EntryFacts, audit_entries_write, audit_entry_build, audit_seal_all
from tests.steps import signed_in


def backlog_add(count: int) -> None:
    facts = [EntryFacts(kind="access", action="test.read", actor=None) for _ in range(count)]
    with transaction.atomic():
        audit_entries_write([audit_entry_build(fact) for fact in facts])


def vitals_post_queries(client, url: str, heart_rate: int) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, {"heart_rate_bpm": str(heart_rate)})
    assert response.status_code < 400
    assert not [query for query in queries if "SET seq" in query["sql"]], "the request sealed the audit chain"
    return len(queries)


# Transactional, so the request's on-commit callbacks run as they do in production.
@pytest.mark.django_db(transaction=True)
def test_a_vitals_post_costs_the_same_with_0_or_2000_unsealed_entries(session):
    url = reverse("sessions:flowsheet", kwargs={"session_id": session.external_id})
    with time_machine.travel(session.starts_at + dt.timedelta(minutes=30)):
        nurse = signed_in(session.nurse)
        vitals_post_queries(nurse, url, 70)  # the first request warms the sign-in and the caches
        audit_seal_all()
        unsealed_before = AuditEntry.objects.filter(seq__isnull=True).count()
        with_no_backlog = vitals_post_queries(nurse, url, 72)
        backlog_add(2000)
        with_backlog = vitals_post_queries(nurse, url, 74)
    assert unsealed_before == 0
    assert with_backlog == with_no_backlog
    # Nothing was sealed by the requests: the backlog waits for the seal_audit worker.
    assert AuditEntry.objects.filter(seq__isnull=True).count() > 2000
