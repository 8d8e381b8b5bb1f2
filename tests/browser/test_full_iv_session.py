"""A whole IV session as the nurse sees it on a tablet beside the chair.

Checklist, a dose computed and verified by a second clinician, vitals every ten minutes with
one alert, the end of the infusion, observation, witnessed waste, discharge and a signed note.
The clock is moved forward between steps (time_machine moves it for the live server too), so
the observation time is real to the application and the test takes seconds.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from ketaclinic.core.permissions import Role
from ketaclinic.measures.services.responses import questionnaire_response_save
from ketaclinic.sessions.models import DoseAdministration, SessionNote, TreatmentSession, VitalSign
from ketaclinic.sessions.services.checklist import NURSE_ITEMS
from tests.factories import PASSWORD, DrugLotFactory, StaffFactory, consent_on_file
from tests.steps import acting

SCREENSHOTS = Path("var/screenshots")
TABLET = {"width": 820, "height": 1180}


def sign_in(browser: Browser, url: str, user) -> Page:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport=TABLET)
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return page


def record_vitals(page: Page, systolic: int, diastolic: int, heart_rate: int, spo2: int) -> None:
    for label, value in (
        ("Systolic (mmHg)", systolic),
        ("Diastolic (mmHg)", diastolic),
        ("Heart rate (bpm)", heart_rate),
        ("SpO2 (%)", spo2),
        ("Respiratory rate (/min)", 14),
        ("Sedation (MOAA/S 0-5)", 5),
    ):
        page.get_by_label(label).fill(str(value))
    with page.expect_navigation():  # the post, then the flowsheet again
        page.get_by_role("button", name="Record", exact=True).click()


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"full-iv-{name}.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_nurse_runs_a_whole_iv_session_on_a_tablet(live_server, browser, center, session):
    prescriber = session.nurse  # the fixture's plan was signed by a prescriber
    nurse = StaffFactory(center=center, role=Role.NURSE, with_password=True, first_name="Rosa", last_name="Nguyen")
    patient = session.patient
    consent_on_file(patient=patient, route="iv", witness=nurse)
    questionnaire_response_save(
        actor=acting(nurse),
        patient=patient,
        instrument_code="phq9",
        answers=dict.fromkeys(range(1, 10), 2) | {9: 0},
        source="staff",
        complete=True,
    )
    lot = DrugLotFactory(center=center, lot_number="KET-2291", expires_on=dt.date(2030, 1, 31))
    flowsheet = f"{live_server.url}/sessions/{session.external_id}/flowsheet/"

    with time_machine.travel(timezone.now(), tick=True) as clock:
        page = sign_in(browser, live_server.url, nurse)
        page.goto(flowsheet)

        # Pre-dose vitals, then the checklist.
        record_vitals(page, 124, 78, 74, 98)
        expect(page.get_by_text("Readings recorded.")).to_be_visible()
        for label in NURSE_ITEMS.values():
            page.get_by_label(str(label)).check()
        page.get_by_role("button", name="Record checklist").click()
        expect(page.get_by_text("Checklist passed: the session may start.")).to_be_visible()

        # The dose from today's weight, with its arithmetic.
        dose_card = page.locator("#dose")
        dose_card.get_by_label("Today's weight (kg)").fill("80")
        dose_card.get_by_label("Lot drawn from").select_option(str(lot.external_id))
        dose_card.get_by_label("Amount drawn up (mg)").fill("50")
        dose_card.get_by_role("button", name="Calculate and record the dose").click()
        expect(page.get_by_text("Dose 40.0 mg prepared")).to_be_visible()
        expect(dose_card).to_contain_text("0.5 mg/kg x 80 kg = 40 mg")
        expect(dose_card).to_contain_text("6 mL/h")
        expect(dose_card).to_contain_text("4.0 mL from 1 vial of 10 mg/mL x 10 mL (lot KET-2291")
        expect(dose_card).to_contain_text("awaiting a second clinician")
        expect(dose_card.get_by_role("button", name="Verify the dose")).to_have_count(0)
        shot(page, "1-dose-prepared")

        # The prescriber checks it on their own screen and signs with their password.
        second = sign_in(browser, live_server.url, prescriber)
        second.goto(flowsheet)
        second.locator("#dose").get_by_label("Your password, to sign").fill(PASSWORD)
        second.get_by_role("button", name="Verify the dose").click()
        expect(second.get_by_text("Dose verified.")).to_be_visible()
        second.close()

        page.reload()
        page.get_by_role("button", name="Start the dose").click()
        expect(page.locator("#events")).to_contain_text("Dose started")

        # Vitals every ten minutes through the infusion; one is high.
        for systolic in (132, 186, 140):
            clock.shift(dt.timedelta(minutes=10))
            page.reload()
            record_vitals(page, systolic, 84, 80, 97)
        readings = page.locator("#readings")
        expect(readings.get_by_role("alert")).to_contain_text("186 mmHg is above 180 mmHg")
        expect(readings.get_by_role("alert")).to_contain_text("notify the prescriber")
        expect(readings.locator("tr.row-flag")).to_have_count(1)
        shot(page, "2-alert")

        clock.shift(dt.timedelta(minutes=10))
        page.reload()
        page.get_by_role("button", name="Infusion complete").click()
        expect(page.locator("#events")).to_contain_text("Dose completed")

        # Witnessed waste: 50 mg drawn, 40 mg given.
        waste = page.locator("#dose")
        waste.get_by_label("Wasted (mg)").fill("10")
        waste.get_by_label("Witness:", exact=True).select_option(label=str(prescriber))
        waste.get_by_label("Witness's password").fill(PASSWORD)
        waste.get_by_role("button", name="Record witnessed waste").click()
        expect(page.get_by_text("Waste recorded and witnessed.")).to_be_visible()

        # Observation: not ready at 20 minutes, ready after 40.
        discharge_card = page.locator("#discharge")
        for minutes in (10, 10):
            clock.shift(dt.timedelta(minutes=minutes))
            page.reload()
            record_vitals(page, 130, 80, 76, 98)
        for criterion in (
            "Alert and oriented",
            "Walks steadily",
            "Side effects settled",
            "Escort present to take the patient home",
        ):
            discharge_card.get_by_label(criterion).check()
        discharge_card.get_by_label("Discharge instructions given", exact=False).check()
        discharge_card.get_by_label("Escort's name").fill("Sam Lee")
        discharge_card.get_by_role("button", name="Check discharge criteria").click()
        expect(page.get_by_text("Not ready to leave")).to_contain_text("min to go")
        for _ in range(2):
            clock.shift(dt.timedelta(minutes=10))
            page.reload()
            record_vitals(page, 128, 80, 74, 98)
        discharge_card.get_by_label("Alert and oriented").check()
        discharge_card.get_by_label("Walks steadily").check()
        discharge_card.get_by_label("Side effects settled").check()
        discharge_card.get_by_label("Escort present to take the patient home").check()
        discharge_card.get_by_label("Discharge instructions given", exact=False).check()
        discharge_card.get_by_label("Escort's name").fill("Sam Lee")
        discharge_card.get_by_role("button", name="Check discharge criteria").click()
        expect(page.get_by_text("All discharge criteria met: the session is complete.")).to_be_visible()

        # The note: drafted from the record, edited, signed and locked.
        note_card = page.locator("#note")
        note_card.get_by_role("button", name="Draft the note from the record").click()
        text = note_card.get_by_label("Session note")
        expect(text).to_contain_text("ketamine 40.0 mg iv, lot KET-2291")
        expect(text).to_contain_text("186 mmHg is above 180 mmHg")
        text.fill(text.input_value() + "\nPatient tolerated the infusion; BP settled without treatment.")
        note_card.get_by_role("button", name="Save the note").click()
        expect(page.get_by_text("Note saved.")).to_be_visible()
        note_card.get_by_label("Your password, to sign").fill(PASSWORD)
        note_card.get_by_role("button", name="Sign and lock the note").click()
        expect(page.get_by_text("Note signed and locked")).to_be_visible()
        expect(note_card.get_by_role("button", name="Save the note")).to_have_count(0)
        shot(page, "3-signed")
        page.close()

    dose = DoseAdministration.objects.get(session=session)
    assert (dose.dose_mg, dose.given_mg, dose.wasted_mg) == (Decimal("40.0"), Decimal("40.0"), Decimal("10.0"))
    assert dose.prepared_by == nurse and dose.verified_by == prescriber and dose.waste_witness == prescriber
    assert VitalSign.objects.filter(session=session).count() == 8
    assert TreatmentSession.objects.get(pk=session.pk).status == "completed"
    note = SessionNote.objects.get(session=session)
    assert note.status == "signed" and note.signed_by == nurse and "BP settled" in note.text
