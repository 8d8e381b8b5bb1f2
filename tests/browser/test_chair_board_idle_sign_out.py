"""A chair board left open asks for the password again after the idle time, though it keeps polling."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from ketaclinic.core.permissions import Role
from tests.factories import PASSWORD, StaffFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_unattended_board_goes_back_to_the_sign_in(live_server, browser, center, settings):
    settings.KETACLINIC_IDLE_TIMEOUT_MINUTES = 15
    nurse = StaffFactory(center=center, role=Role.NURSE, with_password=True)
    page = browser.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(nurse.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/sessions/board/")
    expect(page.get_by_role("heading", name=re.compile("Chairs now"))).to_be_visible()

    # Sixteen minutes later by the server's clock, with nobody touching the screen.
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16), tick=True):
        with page.expect_request(lambda request: request.url.endswith("/sessions/board/")) as polled:
            pass  # the board's own refresh, every 15 seconds
        page.wait_for_url(re.compile(r"/accounts/login/"))
    assert polled.value.headers.get("x-poll") == "1"
    expect(page.get_by_label("Password")).to_be_visible()
    expect(page.get_by_text("signed out after a period without activity")).to_be_visible()
    page.close()
