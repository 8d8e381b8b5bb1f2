"""A nurse on a tablet completes the esketamine REMS form the flowsheet already filled, and signs it."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from ketaclinic.sessions.models import RemsMonitoringForm
from tests.factories import PASSWORD

SCREENSHOTS = Path("var/screenshots")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_nurse_completes_and_signs_the_rems_form(live_server, browser, recorded, rems_nurse):
    page = browser.new_page(viewport={"width": 820, "height": 1180})
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(rems_nurse.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/sessions/rems/")
    row = page.get_by_role("row").filter(has_text=recorded.patient.family_name)
    expect(row).to_contain_text("Not started")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "rems-queue-tablet.png", full_page=True)
    row.get_by_role("link").click()
    expect(page.get_by_label("Lot number")).to_have_value("ESK24A17")
    expect(page.get_by_label("Before administration (mmHg)")).to_have_value("128/82")
    page.screenshot(path=SCREENSHOTS / "rems-form-tablet.png", full_page=True)
    page.get_by_role("button", name="Sign and lock").click()
    expect(page.get_by_role("alert").first).to_contain_text("cannot be signed while required fields are empty")
    page.get_by_label("if there were no 2-hour minimum").fill("95")
    page.get_by_label("Details of sedation").fill("Drowsy and mildly dissociated at 15 minutes; settled by 60.")
    page.locator("#id_other_adverse_events").get_by_label("No").check()
    # The clinician's own answers: the form never pre-fills "vitals acceptable" (issue #10).
    page.locator("#id_vitals_acceptable_before").get_by_label("Yes").check()
    page.locator("#id_vitals_acceptable_at_completion").get_by_label("Yes").check()
    page.get_by_label("Your password, to sign").fill(PASSWORD)
    page.get_by_role("button", name="Sign and lock").click()
    expect(page.get_by_text("Form signed and locked")).to_be_visible()
    expect(page.get_by_role("link", name="PDF copy")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "rems-form-signed-tablet.png", full_page=True)
    pdf = page.request.get(live_server.url + (page.get_by_role("link", name="PDF copy").get_attribute("href") or ""))
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    (SCREENSHOTS / "rems-form.pdf").write_bytes(pdf.body())
    assert RemsMonitoringForm.objects.get(session=recorded).status == RemsMonitoringForm.Status.SIGNED
    page.close()
