"""Only a person's action renews the idle timer; a screen's own refreshes never do."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ketaclinic.core.permissions import Role
from tests.factories import StaffFactory

LOGIN = reverse("accounts:login")
BOARD = reverse("sessions:board")
POLL = {"HTTP_HX_REQUEST": "true", "HTTP_X_POLL": "1"}


@pytest.fixture
def nurse_at_the_board(center, settings):  # type: ignore[no-untyped-def]
    settings.KETACLINIC_IDLE_TIMEOUT_MINUTES = 15
    client = Client()
    client.force_login(StaffFactory(center=center, role=Role.NURSE))
    return client


def at(start: dt.datetime, minutes: int) -> time_machine.travel:
    return time_machine.travel(start + dt.timedelta(minutes=minutes), tick=False)


@pytest.mark.django_db
def test_a_board_left_polling_is_signed_out_after_the_idle_time(nurse_at_the_board):
    client = nurse_at_the_board
    start = timezone.now()
    with at(start, 0):
        assert client.get(BOARD).status_code == 200
    for minute in (5, 10, 14):
        with at(start, minute):
            assert client.get(BOARD, **POLL).status_code == 200
    with at(start, 16):
        response = client.get(BOARD, **POLL)
    assert response.status_code == 204
    assert response["HX-Redirect"] == LOGIN
    assert "_auth_user_id" not in client.session
    # The page the poll sends to asks for the password again.
    assert client.get(BOARD)["Location"].startswith(LOGIN)


@pytest.mark.django_db
def test_a_persons_action_renews_the_idle_timer(nurse_at_the_board, center):
    client = nurse_at_the_board
    start = timezone.now()
    with at(start, 0):
        assert client.get(BOARD).status_code == 200
    with at(start, 10):
        assert client.get(BOARD, **POLL).status_code == 200
    with at(start, 12):
        assert client.get(BOARD, HTTP_HX_REQUEST="true").status_code == 200  # an HTMX request a person made
    with at(start, 20):
        assert client.get(BOARD, **POLL).status_code == 200
    with at(start, 26):
        switched = client.post(reverse("clinics:switch"), {"center": str(center.external_id), "next": BOARD})
        assert switched["Location"] == BOARD
    with at(start, 40):
        assert client.get(BOARD, **POLL).status_code == 200
    with at(start, 42):
        assert client.get(BOARD, **POLL)["HX-Redirect"] == LOGIN


@pytest.mark.django_db
def test_a_poll_after_signing_out_elsewhere_goes_to_the_sign_in_page(nurse_at_the_board):
    client = nurse_at_the_board
    assert client.get(BOARD).status_code == 200
    client.post(reverse("accounts:logout"))
    response = client.get(BOARD, **POLL)
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"{LOGIN}?next={BOARD}"
