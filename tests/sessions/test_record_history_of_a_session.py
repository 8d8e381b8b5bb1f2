"""The record history tab shows a session's checklist and monitor readings like any other change."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ketaclinic.sessions.services.checklist import pre_session_check_record
from ketaclinic.sessions.services.flowsheet import vital_sign_record
from tests.sessions.steps import ALL_CONFIRMED
from tests.steps import acting, signed_in


@pytest.mark.django_db
def test_history_shows_a_checklist_whose_record_has_a_field_named_items(session):
    """PreSessionCheck has a field ``items``; the page once failed on it with a template error."""
    pre_session_check_record(actor=acting(session.nurse), session=session, confirmed=ALL_CONFIRMED)
    vital_sign_record(actor=acting(session.nurse), session=session, values={"heart_rate_bpm": 71})
    url = reverse("patients:history", kwargs={"patient_id": session.patient.external_id})
    response = signed_in(session.nurse).get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "pre_session_check.recorded" in page
    assert "<td>items</td>" in page
    assert "<td>heart_rate_bpm</td><td>—</td><td>71</td>" in page
