"""The dose path holds the protocol's limits, the session's day, the lot's date and the vials drawn."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
import time_machine

from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.permissions import Role
from ketaclinic.pharmacy.models import DrugLot, StockMovement
from ketaclinic.pharmacy.selectors import drug_lots_for_route
from ketaclinic.pharmacy.services import drug_product_ensure
from ketaclinic.sessions.models import DoseAdministration, TreatmentSession
from ketaclinic.sessions.protocol_settings import protocol_setting
from ketaclinic.sessions.services.dose import dose_compute, dose_prepare, dose_start, dose_verify
from tests.factories import (
    PASSWORD,
    DrugLotFactory,
    DrugProductFactory,
    PatientFactory,
    StaffFactory,
    StandInPlanFactory,
    TreatmentSessionFactory,
    protocol_settings_of,
)
from tests.sessions.steps import checklist_run, lot_for, prepared, ready, signed_iv_session
from tests.steps import acting

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
WEDNESDAY_10 = dt.datetime(2026, 12, 2, 10, tzinfo=LA)
MONDAY_10 = dt.datetime(2026, 12, 7, 10, tzinfo=LA)


def signed_session(center, *, starts_at: dt.datetime) -> TreatmentSession:  # type: ignore[no-untyped-def]
    """A session under a signed IV plan (0.5 mg/kg, cap 100 mg), booked for ``starts_at``."""
    prescriber = StaffFactory(center=center, role=Role.PRESCRIBER, with_password=True)
    return signed_iv_session(
        prescriber, PatientFactory(center=center), starts_at=starts_at, booked_at=WEDNESDAY_10 - dt.timedelta(days=1)
    )


def plan_at(center, **fields):  # type: ignore[no-untyped-def]
    """A plan of ``fields`` for a new patient of ``center``, signed by one of its prescribers."""
    return StandInPlanFactory(
        patient=PatientFactory(center=center), signer=StaffFactory(center=center, role=Role.PRESCRIBER), **fields
    )


# 1. A session booked for another day is not dosed today.


@pytest.mark.django_db
def test_a_session_booked_five_days_ahead_is_not_prepared_today(center):
    with time_machine.travel(WEDNESDAY_10, tick=False):
        ahead = signed_session(center, starts_at=MONDAY_10)
        with pytest.raises(RuleViolation) as raised:
            prepared(ahead)
    assert raised.value.code == "session_not_today"
    assert str(raised.value) == "This session is booked for Mon 7 Dec; it cannot be dosed today."
    assert not DoseAdministration.objects.exists() and not StockMovement.objects.exists()


@pytest.mark.django_db
def test_the_day_is_the_centers_not_the_servers(center):
    """23:30 in Los Angeles is already the next day in UTC: a session at 23:30 there is today's."""
    late = dt.datetime(2026, 12, 2, 23, 30, tzinfo=LA)
    with time_machine.travel(late - dt.timedelta(minutes=10), tick=False):
        dose = prepared(signed_session(center, starts_at=late))
    assert dose.status == "prepared"


@pytest.mark.django_db
def test_a_dose_prepared_for_todays_session_is_not_verified_or_started_another_day(center, second_nurse):
    with time_machine.travel(WEDNESDAY_10, tick=False):
        today = signed_session(center, starts_at=WEDNESDAY_10 + dt.timedelta(minutes=15))
        dose = prepared(today)
    with time_machine.travel(WEDNESDAY_10 + dt.timedelta(days=1), tick=False), pytest.raises(RuleViolation) as raised:
        dose_verify(actor=acting(second_nurse), dose=dose, password=PASSWORD)
    assert raised.value.code == "session_not_today" and "Wed 2 Dec" in str(raised.value)
    assert DoseAdministration.objects.get().status == "prepared"
    with time_machine.travel(WEDNESDAY_10 + dt.timedelta(minutes=5), tick=False):
        ready(center, today)
        checklist_run(today)
        dose = dose_verify(actor=acting(second_nurse), dose=dose, password=PASSWORD)
    with time_machine.travel(WEDNESDAY_10 + dt.timedelta(days=1), tick=False), pytest.raises(RuleViolation) as raised:
        dose_start(actor=acting(today.nurse), dose=dose)
    assert raised.value.code == "session_not_today"
    assert DoseAdministration.objects.get().status == "verified"


# 2. The protocol's weight range and mg ceiling hold at the dose, on every route.


@pytest.mark.django_db
def test_an_iv_weight_outside_the_protocols_range_is_refused(session):
    with pytest.raises(RuleViolation) as raised:
        prepared(session, weight_kg=Decimal("340"), drawn_mg=Decimal("100"))
    assert raised.value.field == "weight_kg" and "250" in str(raised.value)
    assert not DoseAdministration.objects.exists()


@pytest.mark.django_db
def test_a_plan_cap_above_the_ceiling_without_sign_off_doses_at_most_the_ceiling(center):
    plan = plan_at(center, mg_per_kg=Decimal("1.0"), cap_mg=Decimal("300"))
    old = TreatmentSessionFactory(plan=plan)
    dose = prepared(old, weight_kg=Decimal("200"), drawn_mg=Decimal("100"))
    # 1.0 mg/kg x 200 kg = 200 mg; the plan's 300 mg cap is above the protocol's 100 mg ceiling.
    assert (dose.calculated_mg, dose.cap_mg, dose.dose_mg, dose.capped) == (
        Decimal("200.00"),
        Decimal("100.0"),
        Decimal("100.0"),
        True,
    )
    assert "The 300 mg cap is above the 100 mg ceiling: cap = 100 mg" in dose.steps


@pytest.mark.django_db
def test_a_cap_a_medical_director_signed_off_is_the_ceiling(center):
    director = StaffFactory(center=center, role=Role.MEDICAL_DIRECTOR)
    plan = plan_at(
        center,
        mg_per_kg=Decimal("1.0"),
        cap_mg=Decimal("150"),
        ceiling_approved_by=director,
        ceiling_approval_reason="Tolerated 1.0 mg/kg well; weight 140 kg.",
    )
    values = dose_compute(plan=plan, weight_kg=Decimal("140"), concentration_mg_per_ml=Decimal("10"))
    assert (values["cap_mg"], values["dose_mg"]) == (Decimal("150"), Decimal("140.0"))


@pytest.mark.django_db
def test_an_oral_dose_above_the_protocols_ceiling_is_refused(center):
    plan = plan_at(
        center,
        route="oral_sublingual",
        protocol_key="oral_sublingual_ketamine",
        fixed_dose_mg=Decimal("350"),
        cap_mg=Decimal("350"),
    )
    with pytest.raises(RuleViolation) as raised:
        dose_compute(plan=plan)
    assert raised.value.code == "dose_above_cap" and "300 mg" in str(raised.value)


@pytest.mark.django_db
def test_an_im_weight_outside_the_protocols_range_is_refused(center):
    plan = plan_at(
        center, route="im", protocol_key="im_racemic_ketamine", mg_per_kg=Decimal("0.5"), cap_mg=Decimal("100")
    )
    with pytest.raises(RuleViolation) as raised:
        dose_compute(plan=plan, weight_kg=Decimal("300"), concentration_mg_per_ml=Decimal("50"))
    assert raised.value.field == "weight_kg"


# 3. Day-1 esketamine for plans signed before the setting existed.


def esketamine_plan(center, *, without: tuple[str, ...], fixed_dose_mg: str):  # type: ignore[no-untyped-def]
    """A TRD esketamine plan as an old plan was signed: its snapshot lacks ``without``."""
    settings = {k: v for k, v in protocol_settings_of("esketamine_trd_us").items() if k not in without}
    return plan_at(
        center,
        route="esketamine_nasal_spray",
        protocol_key="esketamine_trd_us",
        protocol_settings=settings,
        fixed_dose_mg=Decimal(fixed_dose_mg),
        min_observation_minutes=120,
    )


@pytest.mark.django_db
def test_an_old_trd_plan_still_doses_56_mg_on_day_1(center):
    plan = esketamine_plan(center, without=("first_dose_mg",), fixed_dose_mg="84")
    with pytest.raises(RuleViolation) as raised:
        dose_compute(plan=plan)
    assert raised.value.code == "esketamine_first_dose"
    message = str(raised.value)
    assert "56 mg" in message and "a prescriber must sign a new plan at the day-1 dose of 56 mg" in message


@pytest.mark.django_db
def test_an_old_plan_without_dose_options_doses_from_the_librarys(center):
    plan = esketamine_plan(center, without=("first_dose_mg", "dose_options_mg"), fixed_dose_mg="56")
    values = dose_compute(plan=plan)
    assert (values["dose_mg"], values["device_count"], values["cap_mg"]) == (Decimal("56"), 2, Decimal("84"))


# 4. No more drawn than the whole vials or devices the dose needs.


@pytest.mark.django_db
def test_840_mg_typed_for_84_draws_nothing(center):
    plan = esketamine_plan(center, without=(), fixed_dose_mg="56")
    eske = TreatmentSessionFactory(plan=plan)
    lot = lot_for(eske)
    with pytest.raises(RuleViolation) as raised:
        dose_prepare(actor=acting(eske.nurse), session=eske, lot=lot, drawn_mg="560")
    assert (raised.value.code, raised.value.field) == ("drawn_above_units", "drawn_mg")
    assert str(raised.value) == "560 mg drawn is more than the 56.0 mg dose needs: at most 56 mg, 2 devices of 28 mg."
    assert DrugLot.objects.get(pk=lot.pk).units_on_hand == 20 and not StockMovement.objects.exists()
    dose = dose_prepare(actor=acting(eske.nurse), session=eske, lot=lot, drawn_mg="56")
    assert dose.units_drawn == 2


@pytest.mark.django_db
def test_an_iv_dose_draws_at_most_its_whole_vials(session):
    with pytest.raises(RuleViolation) as raised:
        prepared(session, drawn_mg=Decimal("150"))  # 40 mg from 100 mg vials: 1 vial
    assert raised.value.code == "drawn_above_units" and "at most 100 mg, 1 vial of 10 mg/mL x 10 mL" in str(
        raised.value
    )
    assert prepared(session, drawn_mg=Decimal("100")).units_drawn == 1


# 5. The 100 mg/mL vial is not drawn for an infusion (the label requires dilution first).


@pytest.mark.django_db
def test_the_100_mg_per_ml_vial_is_not_offered_or_drawn_for_iv(session):
    strong = drug_product_ensure(key="ketamine_100mg_ml_5ml")
    assert strong.iv_needs_dilution and "diluti" in strong.iv_needs_dilution_source
    center = session.patient.center
    lot = DrugLotFactory(center=center, product=strong, lot_number="KET-100")
    assert lot not in drug_lots_for_route(center=center, route="iv")
    assert lot in drug_lots_for_route(center=center, route="im")
    with pytest.raises(RuleViolation) as raised:
        prepared(session, lot=lot)
    assert (raised.value.code, raised.value.field) == ("lot_needs_dilution", "lot")
    assert "diluted before IV use" in str(raised.value)
    assert DrugLot.objects.get(pk=lot.pk).units_on_hand == 20 and not DoseAdministration.objects.exists()


# 6. A lot that expired since the dose was prepared stops verify and start.


@pytest.mark.django_db
def test_a_lot_expiring_at_midnight_stops_verify_and_start_the_next_day(center, second_nurse):
    just_before_midnight = dt.datetime(2026, 12, 2, 23, 50, tzinfo=LA)
    with time_machine.travel(just_before_midnight, tick=False):
        late = signed_session(center, starts_at=just_before_midnight)
        lot = DrugLotFactory(
            center=center, product=DrugProductFactory(), lot_number="KET-EOD", expires_on=dt.date(2026, 12, 2)
        )
        dose = prepared(late, lot=lot)
        ready(center, late)
        checklist_run(late)
    after_midnight = dt.datetime(2026, 12, 3, 0, 5, tzinfo=LA)
    with time_machine.travel(after_midnight, tick=False):
        with pytest.raises(RuleViolation) as raised:
            dose_verify(actor=acting(second_nurse), dose=dose, password=PASSWORD)
        assert raised.value.code == "lot_expired" and "expired on 2026-12-02" in str(raised.value)
    with time_machine.travel(just_before_midnight + dt.timedelta(minutes=2), tick=False):
        dose = dose_verify(actor=acting(second_nurse), dose=dose, password=PASSWORD)
    with time_machine.travel(after_midnight, tick=False):
        with pytest.raises(RuleViolation) as raised:
            dose_start(actor=acting(late.nurse), dose=dose)
        assert raised.value.code == "lot_expired" and "withdraw this dose" in str(raised.value)
    assert DoseAdministration.objects.get().status == "verified"


@pytest.mark.django_db
def test_a_list_setting_missing_from_an_old_plan_comes_from_the_library_as_numbers(center):
    plan = StandInPlanFactory(route="esketamine_nasal_spray", protocol_key="esketamine_trd_us", protocol_settings={})
    assert protocol_setting(plan, "dose_options_mg")["value"] == ["56", "84"]
    assert protocol_setting(plan, "first_dose_mg")["value"] == "56"
