"""The dose gate on a tablet: an esketamine dose does not start at 175/108 with an open suicide-risk alert.

Issue #10, "Done means": the nurse is stopped with both reasons on screen; a prescriber documents
the suicide-risk review on the flowsheet, the nurse rechecks the blood pressure, runs the
checklist again, and the first nasal spray device (the start of an esketamine dose) is recorded.
The alert comes the real way, from a C-SSRS answered today with a high band.
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
from ketaclinic.patients.models import PatientAlert, SexAtBirth
from ketaclinic.patients.services.pregnancy_tests import pregnancy_test_record
from ketaclinic.sessions.models import DoseAdministration, PreSessionCheck, SessionEvent
from ketaclinic.sessions.services.checklist import NURSE_ITEMS
from ketaclinic.sessions.services.rems import rems_enrollment_record
from tests.factories import (
    PASSWORD,
    DrugLotFactory,
    DrugProductFactory,
    PatientFactory,
    StaffFactory,
    StandInPlanFactory,
    TreatmentSessionFactory,
    consent_on_file,
)
from tests.steps import acting

SCREENSHOTS = Path("var/screenshots")
TABLET = {"width": 820, "height": 1180}
ESKETAMINE = "esketamine_nasal_spray"
# A Tuesday morning in Buena Park (15:12 UTC is 08:12 Pacific daylight time): "today" is the
# center's, so the test does not depend on the hour it runs at.
MORNING = dt.datetime(2026, 6, 9, 15, 12, tzinfo=dt.UTC)
# C-SSRS screener: wish to be dead, thoughts, method, intent; no plan, no behaviour: high.
CSSRS_HIGH = {1: 1, 2: 1, 3: 1, 4: 1, 5: 0, 6: 0}
PHQ9 = dict.fromkeys(range(1, 10), 2) | {9: 0}
REVIEW = "Seen in person: passive ideation, no plan; safety plan reviewed; fit to dose today."


def sign_in(browser: Browser, url: str, user) -> Page:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport=TABLET)
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return page


def record_vitals(page: Page, systolic: int, diastolic: int) -> None:
    for label, value in (
        ("Systolic (mmHg)", systolic),
        ("Diastolic (mmHg)", diastolic),
        ("Heart rate (bpm)", 76),
        ("SpO2 (%)", 98),
        ("Respiratory rate (/min)", 14),
        ("Sedation (MOAA/S 0-5)", 5),
    ):
        page.get_by_label(label).fill(str(value))
    with page.expect_navigation():  # the post, then the flowsheet again
        page.get_by_role("button", name="Record", exact=True).click()


def run_checklist(page: Page) -> None:
    checklist = page.locator("section.card", has=page.get_by_role("heading", name="Pre-session checklist"))
    summary = checklist.locator("summary", has_text="Check again")
    if summary.count():
        summary.click()
    for label in NURSE_ITEMS.values():
        page.get_by_label(str(label)).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Record checklist").click()


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"eske-gate-{name}.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_nurse_is_stopped_at_175_108_with_an_open_risk_alert_until_review_and_recheck(live_server, browser, center):
    with time_machine.travel(MORNING, tick=True) as clock:
        prescriber = StaffFactory(
            center=center, role=Role.PRESCRIBER, with_password=True, first_name="Priya", last_name="Shah"
        )
        nurse = StaffFactory(center=center, role=Role.NURSE, with_password=True, first_name="Rosa", last_name="Nguyen")
        patient = PatientFactory(
            center=center, given_name="Marisol", family_name="Quintero", sex_at_birth=SexAtBirth.FEMALE
        )
        # The first session of a TRD course: day 1 is 56 mg (two 28 mg devices).
        plan = StandInPlanFactory(
            patient=patient,
            signer=prescriber,
            route=ESKETAMINE,
            protocol_key="esketamine_trd_us",
            fixed_dose_mg=Decimal("56"),
            min_observation_minutes=120,
            monitoring_interval_minutes=15,
        )
        rems_enrollment_record(
            actor=acting(prescriber), patient=patient, enrollment_reference="PT-4471", enrolled_on=MORNING.date()
        )
        session = TreatmentSessionFactory(plan=plan, nurse=nurse, starts_at=timezone.now())
        consent_on_file(patient=patient, route=ESKETAMINE, witness=nurse)
        pregnancy_test_record(
            actor=acting(nurse),
            patient=patient,
            kind="urine_hcg",
            result="negative",
            tested_at=timezone.now() - dt.timedelta(minutes=30),
        )
        questionnaire_response_save(
            actor=acting(nurse), patient=patient, instrument_code="phq9", answers=PHQ9, source="staff", complete=True
        )
        cssrs = questionnaire_response_save(
            actor=acting(nurse),
            patient=patient,
            instrument_code="cssrs_screener",
            answers=CSSRS_HIGH,
            source="clinician",
            complete=True,
        )
        assert cssrs.severity == "high"
        alert = PatientAlert.objects.get(patient=patient, kind=PatientAlert.Kind.SUICIDE_RISK)
        assert alert.source_id == str(cssrs.external_id) and alert.acknowledged_at is None
        lot = DrugLotFactory(
            center=center,
            product=DrugProductFactory(esketamine=True),
            lot_number="ESK24A17",
            expires_on=dt.date(2027, 6, 30),
        )
        flowsheet = f"{live_server.url}/sessions/{session.external_id}/flowsheet/"

        # Pre-dose vitals at 175/108 (under the chair-side 180/110, over the label's 140/90).
        page = sign_in(browser, live_server.url, nurse)
        page.goto(flowsheet)
        record_vitals(page, 175, 108)
        run_checklist(page)
        expect(page.get_by_text("Checklist has open items")).to_be_visible()
        checklist = page.locator("section.card", has=page.get_by_role("heading", name="Pre-session checklist"))
        bp_row = checklist.locator("li", has_text="Pre-dose vitals")
        risk_row = checklist.locator("li", has_text="suicide-risk findings")
        expect(bp_row).to_contain_text("✘")
        expect(bp_row).to_contain_text("BP 175/108 is above the protocol's pre-dose limit 140/90 (Spravato label)")
        expect(risk_row).to_contain_text("✘")
        expect(risk_row).to_contain_text("C-SSRS Screener high", ignore_case=True)  # the band, as word or label
        expect(risk_row).to_contain_text("today at 08:12; alert not acknowledged")
        expect(risk_row).to_contain_text("cannot be overridden")  # the nurse has no review action

        # The dose is prepared from the lot and verified by a second clinician with her password.
        dose_card = page.locator("#dose")
        dose_card.get_by_label("Lot drawn from").select_option(str(lot.external_id))
        dose_card.get_by_label("Amount drawn up (mg)").fill("56")
        dose_card.get_by_role("button", name="Calculate and record the dose").click()
        expect(dose_card).to_contain_text("56")
        expect(dose_card).to_contain_text("lot ESK24A17")
        expect(dose_card).to_contain_text("awaiting a second clinician")
        second = sign_in(browser, live_server.url, prescriber)
        second.goto(flowsheet)
        second.locator("#dose").get_by_label("Your password, to sign").fill(PASSWORD)
        second.get_by_role("button", name="Verify the dose").click()
        expect(second.get_by_text("Dose verified.")).to_be_visible()

        # The nurse tries to start: refused, with both reasons on screen.
        page.reload()
        page.locator("#dose").get_by_role("button", name="Record next device used now").click()
        refusal = page.get_by_role("status").locator("li.message-error")
        expect(refusal).to_contain_text("The checklist has open items")
        expect(refusal).to_contain_text("BP 175/108 is above the protocol's pre-dose limit 140/90")
        expect(refusal).to_contain_text("C-SSRS Screener high", ignore_case=True)  # the band, as word or label
        expect(refusal).to_contain_text("today at 08:12; alert not acknowledged")
        expect(page.locator("#events")).not_to_contain_text("Device 1")
        shot(page, "1-blocked")
        assert DoseAdministration.objects.get(session=session).status == "verified"

        # The prescriber documents the review from the checklist.
        clock.shift(dt.timedelta(minutes=5))
        second.reload()
        second_risk = second.locator("li", has_text="suicide-risk findings")
        second_risk.get_by_text("Document the review").click()
        second_risk.get_by_label("What the review found and what was done").fill(REVIEW)
        shot(second, "2-review")
        second_risk.get_by_role("button", name="Document review").click()
        expect(second.get_by_text("Review documented; run the checklist again.")).to_be_visible()
        second.close()

        # The nurse rechecks the BP, within 140/90 now, and runs the checklist again.
        clock.shift(dt.timedelta(minutes=5))
        page.reload()
        record_vitals(page, 136, 86)
        run_checklist(page)
        expect(page.get_by_text("Checklist passed: the session may start.")).to_be_visible()
        expect(checklist.locator("li", has_text="suicide-risk findings")).to_contain_text("✔")
        expect(checklist.locator("li", has_text="Pre-dose vitals")).to_contain_text("✔")

        # The dose starts: the first device is recorded.
        page.locator("#dose").get_by_role("button", name="Record next device used now").click()
        expect(page.get_by_text("Device 1 recorded.")).to_be_visible()
        shot(page, "3-started")
        page.close()

    dose = DoseAdministration.objects.get(session=session)
    assert (dose.drug, dose.dose_mg, dose.device_count) == ("esketamine", Decimal("56.0"), 2)
    assert dose.status == "running" and dose.started_at is not None
    assert dose.prepared_by == nurse and dose.verified_by == prescriber
    assert SessionEvent.objects.filter(session=session, kind="device_given", device_number=1).exists()
    alert.refresh_from_db()
    assert alert.acknowledged_by == prescriber and alert.action_taken == REVIEW
    passed = PreSessionCheck.objects.filter(session=session).order_by("-checked_at").first()
    assert passed is not None and passed.passed, passed.items if passed else None
    assert passed.items["suicide_risk"]["ok"] and "suicide_risk" not in passed.overrides
    assert not passed.overrides
    assert PreSessionCheck.objects.filter(session=session).count() == 2
