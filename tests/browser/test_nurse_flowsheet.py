"""A nurse on a tablet records vitals beside the chair; an out-of-range one raises its alert."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD

SCREENSHOTS = Path("var/screenshots")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_nurse_records_vitals_and_sees_the_alert(live_server, browser, session):
    nurse = session.nurse
    page = browser.new_page(viewport={"width": 820, "height": 1180})
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(nurse.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/sessions/{session.external_id}/flowsheet/")
    for label, value in (
        ("Systolic (mmHg)", "124"),
        ("Diastolic (mmHg)", "78"),
        ("Heart rate (bpm)", "74"),
        ("SpO2 (%)", "98"),
    ):
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name="Record", exact=True).click()
    expect(page.get_by_text("Readings recorded.")).to_be_visible()
    page.get_by_label("Systolic (mmHg)").fill("186")
    page.get_by_label("SpO2 (%)").fill("97")
    page.get_by_role("button", name="Record", exact=True).click()
    alert = page.locator("#readings").get_by_role("alert")
    expect(alert).to_contain_text("186 mmHg is above 180 mmHg")
    expect(alert).to_contain_text("notify the prescriber")
    expect(page.locator("#readings tbody tr")).to_have_count(2)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "flowsheet-tablet.png", full_page=True)
    page.close()
