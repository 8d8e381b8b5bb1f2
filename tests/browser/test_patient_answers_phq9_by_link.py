"""A patient answers a PHQ-9 on a phone through a link; the clinician sees the point and the alert."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from ketaclinic.core.permissions import Role
from ketaclinic.measures.services.links import questionnaire_link_create, questionnaire_link_url
from ketaclinic.measures.services.responses import questionnaire_response_save
from tests.factories import PASSWORD, PatientFactory, StaffFactory
from tests.steps import acting

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 820, "height": 1180}
SCREENSHOTS = Path("var/screenshots")
# The worked example of measures.md §2.1: 14, moderate, item 9 "several days".
ANSWERS = {
    1: "More than half the days",
    2: "Nearly every day",
    3: "More than half the days",
    4: "More than half the days",
    5: "Several days",
    6: "More than half the days",
    7: "Several days",
    8: "Not at all",
    9: "Several days",
}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_patient_completes_phq9_on_a_phone_and_the_clinician_sees_it(live_server, browser, center, settings):
    settings.KETACLINIC_PUBLIC_URL = live_server.url
    prescriber = StaffFactory(center=center, role=Role.PRESCRIBER, username="dr.beach", with_password=True)
    patient = PatientFactory(center=center, given_name="Camila", family_name="Reyes")
    questionnaire_response_save(
        actor=acting(prescriber),
        patient=patient,
        instrument_code="phq9",
        answers=dict.fromkeys(range(1, 10), 2) | {9: 0},
        source="staff",
        complete=True,
    )
    _, token = questionnaire_link_create(actor=acting(prescriber), patient=patient, instrument_code="phq9")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    phone = browser.new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.goto(questionnaire_link_url(token))
    phone.get_by_label("Your date of birth").fill(patient.date_of_birth.isoformat())
    phone.get_by_role("button", name="Continue").click()
    for number, answer in ANSWERS.items():
        group = phone.get_by_role("group", name=f"{number}. ")
        group.get_by_label(answer, exact=True).check()
    phone.screenshot(path=SCREENSHOTS / "patient-phq9-phone.png", full_page=True)
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(phone.get_by_role("alert")).to_contain_text("988")
    phone.screenshot(path=SCREENSHOTS / "patient-phq9-done-phone.png", full_page=True)
    phone.close()

    tablet = browser.new_page(viewport=TABLET)
    tablet.goto(f"{live_server.url}/accounts/login/")
    tablet.get_by_label("Username").fill(prescriber.username)
    tablet.get_by_label("Password").fill(PASSWORD)
    tablet.get_by_role("button", name="Sign in").click()
    tablet.goto(f"{live_server.url}/measures/patients/{patient.external_id}/")
    banner = tablet.get_by_role("region", name="Patient banner")
    expect(banner).to_contain_text("suicide-risk answer needs same-day review")
    expect(banner).to_contain_text("'Several days' [1]")
    table = tablet.get_by_role("table", name="PHQ-9 scores")
    expect(table.get_by_role("row")).to_have_count(3)
    expect(table).to_contain_text("14")
    expect(tablet.locator("canvas[data-trajectory='trajectory-phq9']")).to_have_attribute(
        "aria-label", "PHQ-9 scores over time; the table below lists each score"
    )
    tablet.screenshot(path=SCREENSHOTS / "clinician-measures-tablet.png", full_page=True)
    tablet.close()
