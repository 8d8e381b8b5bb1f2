"""A nurse on a tablet signs in, finds a patient and opens the chart, in Debian's Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from ketaclinic.audit.models import AuditEntry
from ketaclinic.core.permissions import Role
from tests.factories import PASSWORD, AllergyFactory, PatientFactory, StaffFactory

TABLET = {"width": 820, "height": 1180}
SCREENSHOTS = Path("var/screenshots")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_nurse_signs_in_finds_a_patient_and_opens_the_chart(live_server, browser, center):
    nurse = StaffFactory(center=center, role=Role.NURSE, username="nurse.beach", with_password=True)
    patient = PatientFactory(center=center, given_name="Valeria", family_name="Okafor", mrn="KC0004242")
    AllergyFactory(patient=patient, substance="Penicillin", reaction="hives")
    PatientFactory.create_batch(30, center=center)

    page = browser.new_page(viewport=TABLET)
    policy_violations: list[str] = []
    page.on(
        "console",
        lambda message: policy_violations.append(message.text) if "Content Security Policy" in message.text else None,
    )

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(nurse.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("^Patients"))).to_be_visible()

    page.get_by_label("Search patients").fill("okaf")
    results = page.locator("#results")
    expect(results.get_by_role("link", name="Okafor, Valeria")).to_be_visible()
    expect(results.get_by_role("row")).to_have_count(2)  # header and the one match, filtered live by HTMX
    results.get_by_role("link", name="Okafor, Valeria").click()

    banner = page.get_by_role("region", name="Patient banner")
    expect(banner.get_by_role("heading", name="Okafor, Valeria")).to_be_visible()
    expect(banner).to_contain_text("MRN KC0004242")
    expect(banner).to_contain_text("Penicillin (hives)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "nurse-chart-tablet.png", full_page=True)
    page.close()

    assert policy_violations == []
    assert AuditEntry.objects.filter(action="patient.chart_viewed", patient=patient, actor=nurse).exists()
