"""The day before a session the patient confirms fasting and a ride home on a phone; the nurse
sees the answers, and a warning for a "no", on the day list."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from ketaclinic.core.permissions import Role
from ketaclinic.messaging.sending import MemoryTextMessageBackend
from ketaclinic.messaging.tasks import send_session_confirmations
from ketaclinic.sessions.models import SessionConfirmation
from ketaclinic.sessions.services.confirmations import session_confirmation_answer
from tests.factories import PASSWORD, PatientFactory, StaffFactory
from tests.sessions.steps import link_from, session_at, tomorrow_at

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 820, "height": 1180}
SCREENSHOTS = Path("var/screenshots")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_patient_confirms_on_a_phone_and_the_nurse_sees_it_on_the_day_list(live_server, browser, center, settings):
    settings.KETACLINIC_PUBLIC_URL = live_server.url
    nurse = StaffFactory(center=center, role=Role.NURSE, username="nurse.beach", with_password=True)
    camila = PatientFactory(center=center, given_name="Camila", family_name="Reyes")
    jon = PatientFactory(center=center, given_name="Jon", family_name="Park", phone="(714) 555-0177")
    session_at(camila, tomorrow_at(9, 30))
    session_at(jon, tomorrow_at(11))
    send_session_confirmations.enqueue()
    camila_text = next(text for text in MemoryTextMessageBackend.outbox if text.to == camila.phone)
    session_confirmation_answer(
        confirmation=SessionConfirmation.objects.get(patient=jon),
        fasting_confirmed=True,
        ride_confirmed=False,
        comment="My ride cancelled; I could take a taxi.",
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    phone = browser.new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.goto(live_server.url + link_from(camila_text.body))
    expect(phone.get_by_role("heading", name="Your visit tomorrow")).to_be_visible()
    phone.get_by_label("Your date of birth").fill(camila.date_of_birth.isoformat())
    phone.get_by_role("button", name="Continue").click()
    fasting = phone.get_by_role("group", name="I will follow the fasting instructions my clinic gave me.")
    fasting.get_by_label("Yes", exact=True).check()
    ride = phone.get_by_role("group", name="An adult will take me home after my visit")
    ride.get_by_label("Yes", exact=True).check()
    expect(phone.get_by_role("complementary", name="Help right now")).to_contain_text("988")
    phone.screenshot(path=SCREENSHOTS / "patient-confirmation-phone.png", full_page=True)
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("heading", name="Thank you")).to_be_visible()
    phone.screenshot(path=SCREENSHOTS / "patient-confirmation-done-phone.png", full_page=True)
    phone.close()

    tablet = browser.new_page(viewport=TABLET)
    tablet.goto(f"{live_server.url}/accounts/login/")
    tablet.get_by_label("Username").fill(nurse.username)
    tablet.get_by_label("Password").fill(PASSWORD)
    tablet.get_by_role("button", name="Sign in").click()
    tablet.goto(f"{live_server.url}/sessions/day/?date={tomorrow_at(9).date().isoformat()}")
    camila_row = tablet.get_by_role("listitem").filter(has_text="Reyes")
    expect(camila_row).to_contain_text("Patient confirmed fasting and a ride home.")
    jon_row = tablet.get_by_role("listitem").filter(has_text="Park")
    expect(jon_row.get_by_role("note")).to_contain_text("no adult to take them home")
    expect(jon_row).to_contain_text("My ride cancelled; I could take a taxi.")
    tablet.screenshot(path=SCREENSHOTS / "day-list-confirmations-tablet.png", full_page=True)
    tablet.close()
