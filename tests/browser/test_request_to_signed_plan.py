"""From the public request form to a signed treatment plan, in Debian's Chromium."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from ketaclinic.core.permissions import Role
from ketaclinic.intake.consultation_sections import HISTORY_SECTIONS
from ketaclinic.patients.consent_texts import TEXTS
from ketaclinic.patients.services.consents import consent_document_publish
from ketaclinic.treatment.models import TreatmentPlan
from tests.factories import PASSWORD, StaffFactory
from tests.steps import acting

TABLET = {"width": 1024, "height": 1366}
SCREENSHOTS = Path("var/screenshots")


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def answer_all(page: Page, value: str) -> None:
    for radio in page.locator(f"fieldset.item input[type=radio][value='{value}']").all():
        radio.check()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_request_consultation_decision_consent_and_plan(live_server, browser, center, settings):
    settings.KETACLINIC_INQUIRY_MIN_SECONDS = 0
    StaffFactory(center=center, role=Role.FRONT_DESK, username="desk", with_password=True)
    StaffFactory(
        center=center,
        role=Role.PRESCRIBER,
        username="drortiz",
        first_name="Lena",
        last_name="Ortiz",
        with_password=True,
    )
    admin = StaffFactory(center=center, role=Role.CENTER_ADMIN)
    title, body = TEXTS["iv"]
    consent_document_publish(
        actor=acting(admin),
        center_id=center.pk,
        organization_id=center.organization_id,
        route="iv",
        title=title,
        body=body,
    )
    base = live_server.url
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # 1. A person asks for a consultation on the center's public page.
    public = browser.new_page(viewport={"width": 390, "height": 844})
    public.goto(f"{base}/visit/{center.slug}/consultation/")
    public.get_by_label("First name").fill("Marisol")
    public.get_by_label("Last name").fill("Vega")
    public.get_by_label("Date of birth").fill("1979-08-30")
    public.get_by_role("textbox", name="Phone:").fill("(714) 555-0177")
    public.get_by_label("What brings you to us").fill("Depression for years; two antidepressants did not help.")
    public.get_by_label("Referring clinician").fill("Dr. Ahn, Fullerton")
    public.get_by_label("You may contact me").check()
    public.screenshot(path=SCREENSHOTS / "public-request-phone.png", full_page=True)
    public.get_by_role("button", name="Send request").click()
    expect(public.get_by_role("heading", name="Thank you")).to_be_visible()
    public.close()

    # 2. Front desk registers her and books the consultation.
    desk = browser.new_page(viewport=TABLET)
    sign_in(desk, base, "desk")
    desk.get_by_role("link", name="Intake").click()
    desk.get_by_role("link", name="Vega, Marisol").click()
    desk.get_by_label("Sex at birth").select_option("female")
    desk.get_by_role("button", name="Register patient").click()
    expect(desk.get_by_text("Registered with record number")).to_be_visible()
    when = (timezone.localtime() + dt.timedelta(days=2)).replace(hour=10, minute=0)
    desk.get_by_label("Consultation time").fill(when.strftime("%Y-%m-%dT%H:%M"))
    desk.get_by_label("With").select_option(label="Lena Ortiz")
    desk.get_by_role("button", name="Book consultation").click()
    expect(desk.get_by_role("heading", name=re.compile("Consultation booked"))).to_be_visible()
    desk.close()

    # 3. The prescriber records the screens, the consultation and the decision.
    doctor = browser.new_page(viewport=TABLET)
    sign_in(doctor, base, "drortiz")
    doctor.get_by_label("Search patients").fill("vega")
    doctor.locator("#results").get_by_role("link", name="Vega, Marisol").click()
    doctor.get_by_role("link", name="Measures").click()
    for scale, short in (("AUDIT-C (self-report or interview)", "AUDIT-C"), ("DAST-10 (self-report)", "DAST-10")):
        doctor.get_by_label("Questionnaire").first.select_option(label=scale)
        doctor.get_by_role("button", name="Open questionnaire").click()
        answer_all(doctor, "0")
        doctor.get_by_role("button", name="Submit and score").click()
        expect(doctor.get_by_text(f"{short} recorded.")).to_be_visible()
        doctor.get_by_role("link", name="Measures").click()

    doctor.get_by_role("link", name="Consultation").click()
    doctor.get_by_role("button", name="Start the consultation").click()
    doctor.get_by_label("Presenting problem").fill("Recurrent depression for six years; two failed SSRIs.")
    doctor.get_by_label("Diagnoses (ICD-10-CM)").fill("F33.2")
    for _title, facts in HISTORY_SECTIONS:
        for fact, _label in facts:
            answer = "yes" if fact == "has_escort_home" else "no"
            doctor.locator(f"input[name='h_{fact}'][value='{answer}']").check()
    doctor.get_by_label("Are medications reconciled").check()
    doctor.get_by_label("Systolic mmhg").fill("122")
    doctor.get_by_label("Diastolic mmhg").fill("78")
    doctor.get_by_label("Weight kg").fill("68")
    doctor.get_by_label("Height cm").fill("165")
    doctor.get_by_role("button", name="Save consultation").click()
    expect(doctor.get_by_text("Consultation saved.")).to_be_visible()

    for drug in ("Sertraline", "Escitalopram"):
        doctor.get_by_text("Add a trial").click()
        # A datalist of coded drugs: the field is a combobox that still takes typed text.
        doctor.get_by_role("combobox", name="Drug:").fill(drug)
        doctor.get_by_label("Daily dose mg").fill("150" if drug == "Sertraline" else "20")
        doctor.get_by_label("Weeks at dose").fill("8")
        doctor.get_by_label("Is dose adequate").select_option("true")
        doctor.get_by_label("Is adherent").select_option("true")
        doctor.get_by_label("Is current episode").select_option("true")
        doctor.get_by_label("Outcome").select_option("non_response")
        doctor.get_by_role("button", name="Add trial").click()
        expect(doctor.get_by_text("Trial added.")).to_be_visible()
    expect(doctor.get_by_role("heading", name="Treatment resistance: definition met")).to_be_visible()
    findings = doctor.locator(".route-findings").filter(has_text="IV ketamine infusion")
    expect(findings).to_contain_text("No findings.")

    doctor.get_by_label("Route").select_option("iv")
    doctor.get_by_label("Decision").select_option("eligible")
    doctor.get_by_label("Reason").fill("TRD with two adequate failed trials; no contraindication found.")
    doctor.get_by_label("Your password, to sign").fill(PASSWORD)
    doctor.get_by_role("button", name="Sign decision").click()
    expect(doctor.get_by_text("Decision signed.")).to_be_visible()
    doctor.screenshot(path=SCREENSHOTS / "consultation-signed-tablet.png", full_page=True)

    # 4. The patient signs the IV consent on the tablet.
    doctor.get_by_role("link", name="Consents").click()
    doctor.get_by_role("link", name="Sign on tablet").first.click()
    doctor.get_by_label("I have read this document").check()
    doctor.get_by_label("Type your full legal name to sign").fill("Marisol Vega")
    pad = doctor.locator("canvas[aria-label='Signature area']").bounding_box()
    assert pad is not None
    doctor.mouse.move(pad["x"] + 20, pad["y"] + 60)
    doctor.mouse.down()
    doctor.mouse.move(pad["x"] + 120, pad["y"] + 30, steps=8)
    doctor.mouse.move(pad["x"] + 220, pad["y"] + 80, steps=8)
    doctor.mouse.up()
    doctor.get_by_role("button", name="Sign consent").click()
    expect(doctor.get_by_text("Consent signed; a PDF copy is on file.")).to_be_visible()

    # 5. The prescriber signs the plan, bounded by the IV protocol.
    doctor.get_by_role("link", name="Treatment plan").click()
    doctor.get_by_label("Goals").fill("PHQ-9 below 10 by the end of induction.")
    doctor.get_by_label("Phase").select_option("induction")
    doctor.get_by_label("Your password, to sign").fill(PASSWORD)
    doctor.get_by_role("button", name="Sign plan").click()
    expect(doctor.get_by_text("Plan version 1 signed.")).to_be_visible()
    doctor.screenshot(path=SCREENSHOTS / "plan-signed-tablet.png", full_page=True)
    doctor.close()

    plan = TreatmentPlan.objects.get()
    assert (plan.route, plan.phase, plan.signed_by.username) == ("iv", "induction", "drortiz")
    assert plan.patient.consents.get().drawn_signature.startswith("data:image/png;base64,")
