"""The dose is drawn from a lot on the center's shelf: its concentration is the product's, never typed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from ketaclinic.audit.models import AuditEntry
from ketaclinic.core.errors import RuleViolation
from ketaclinic.pharmacy.models import DrugLot, StockMovement
from ketaclinic.sessions.models import DoseAdministration
from tests.factories import DrugLotFactory, DrugProductFactory, TreatmentCenterFactory
from tests.sessions.steps import prepared
from tests.steps import signed_in


@pytest.mark.django_db
def test_the_concentration_and_volume_come_from_the_lot_with_the_vial_count(session):
    lot = DrugLotFactory(center=session.patient.center, lot_number="KET-2291", units_on_hand=12)
    dose = prepared(session, lot=lot)
    # 0.5 mg/kg x 80 kg = 40 mg; 40 mg / 10 mg/mL (the lot's product) = 4 mL; 50 mg drawn: 1 vial of 100 mg
    assert (dose.concentration_mg_per_ml, dose.volume_ml, dose.units_drawn) == (Decimal("10"), Decimal("4.00"), 1)
    assert dose.steps[-2] == "4.0 mL from 1 vial of 10 mg/mL x 10 mL (lot KET-2291, expires 2030-01-31)"
    assert dose.steps[-1].endswith("mL/h")  # the pump rate stays last
    assert (dose.lot, dose.lot_number, dose.lot_expires_on) == (lot, "KET-2291", dt.date(2030, 1, 31))
    lot.refresh_from_db()
    assert lot.units_on_hand == 11
    movement = StockMovement.objects.get()
    assert (movement.kind, movement.units, movement.units_after, movement.dose) == ("drawn", -1, 11, dose)
    assert AuditEntry.objects.filter(action="stock.drawn", patient=session.patient).exists()


@pytest.mark.django_db
def test_a_tenfold_weaker_vial_gives_ten_times_the_volume_not_a_typed_error(session):
    """1 mg/mL cannot be typed against a 10 mg/mL vial: the strength is the lot's, so the volume follows it."""
    weak = DrugProductFactory(strength_mg_per_ml=Decimal("1"), unit_volume_ml=Decimal("50"))
    dose = prepared(session, lot=DrugLotFactory(center=session.patient.center, product=weak))
    assert (dose.concentration_mg_per_ml, dose.volume_ml, dose.units_drawn) == (Decimal("1"), Decimal("40.00"), 1)
    assert dose.steps[-2].startswith("40.0 mL from 1 vial of 1 mg/mL x 50 mL")


@pytest.mark.django_db
def test_the_dose_cannot_take_a_typed_concentration(session):
    with pytest.raises(TypeError):
        prepared(session, concentration_mg_per_ml=Decimal("1"))
    assert not DoseAdministration.objects.exists()


@pytest.mark.django_db
def test_drawing_more_than_one_vial_counts_every_vial(session):
    small = DrugProductFactory(unit_volume_ml=Decimal("5"))  # 50 mg a vial
    lot = DrugLotFactory(center=session.patient.center, product=small, units_on_hand=3)
    dose = prepared(session, lot=lot, weight_kg=Decimal("250"), drawn_mg=Decimal("100"))  # capped at 100 mg
    assert (dose.dose_mg, dose.units_drawn) == (Decimal("100.0"), 2)
    assert dose.steps[-2].startswith("10.0 mL from 2 vials of 10 mg/mL x 5 mL")
    lot.refresh_from_db()
    assert lot.units_on_hand == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lot_kwargs", "code"),
    [
        ({"expires_on": dt.date(2020, 1, 1)}, "lot_expired"),
        ({"units_on_hand": 0}, "lot_short"),
        ({"product__esketamine": True}, "lot_wrong_drug"),
        ({"product__dosage_form": "oral_unit"}, "lot_wrong_drug"),
    ],
)
def test_a_lot_that_is_out_of_date_empty_or_the_wrong_drug_is_refused_and_nothing_moves(
    session,
    lot_kwargs,
    code,
):
    lot = DrugLotFactory(center=session.patient.center, **lot_kwargs)
    with pytest.raises(RuleViolation) as raised:
        prepared(session, lot=lot)
    assert raised.value.code == code and raised.value.field == "lot"
    assert not DoseAdministration.objects.exists() and not StockMovement.objects.exists()
    assert DrugLot.objects.get(pk=lot.pk).units_on_hand == lot.units_on_hand


@pytest.mark.django_db
def test_a_lot_held_at_another_center_is_refused(session):
    lot = DrugLotFactory(center=TreatmentCenterFactory(organization=session.patient.center.organization))
    with pytest.raises(RuleViolation) as raised:
        prepared(session, lot=lot)
    assert raised.value.code == "lot_elsewhere"
    assert DrugLot.objects.get(pk=lot.pk).units_on_hand == 20


@pytest.mark.django_db
def test_more_vials_than_the_lot_holds_are_refused(session):
    small = DrugProductFactory(unit_volume_ml=Decimal("5"))  # 50 mg a vial
    lot = DrugLotFactory(center=session.patient.center, product=small, units_on_hand=1)
    with pytest.raises(RuleViolation) as raised:
        prepared(session, lot=lot, weight_kg=Decimal("250"), drawn_mg=Decimal("100"))
    assert raised.value.code == "lot_short" and "2 vials needed" in str(raised.value)
    assert not DoseAdministration.objects.exists()
    assert DrugLot.objects.get(pk=lot.pk).units_on_hand == 1


@pytest.mark.django_db
def test_the_dose_form_lists_only_usable_lots_and_the_flowsheet_shows_the_vials(session):
    center = session.patient.center
    good = DrugLotFactory(center=center, lot_number="KET-GOOD")
    DrugLotFactory(center=center, lot_number="KET-OLD", expires_on=dt.date(2020, 1, 1))
    DrugLotFactory(center=center, lot_number="KET-EMPTY", units_on_hand=0)
    DrugLotFactory(center=center, lot_number="ESK-DEV", product__esketamine=True)
    nurse = signed_in(session.nurse)
    url = reverse("sessions:flowsheet", kwargs={"session_id": session.external_id})
    page = nurse.get(url).content.decode()
    assert "KET-GOOD" in page
    assert "KET-OLD" not in page and "KET-EMPTY" not in page and "ESK-DEV" not in page
    assert "Concentration (mg/mL)" not in page
    expired = DrugLot.objects.get(lot_number="KET-OLD")
    prepare = reverse("sessions:dose_prepare", kwargs={"session_id": session.external_id})
    refused = nurse.post(prepare, {"weight_kg": "80", "lot": str(expired.external_id), "drawn_mg": "50"}, follow=True)
    assert "Select a valid choice" in refused.content.decode()
    assert not DoseAdministration.objects.exists()
    nurse.post(prepare, {"weight_kg": "80", "lot": str(good.external_id), "drawn_mg": "50"})
    page = nurse.get(url).content.decode()
    assert "4.0 mL from 1 vial of 10 mg/mL x 10 mL (lot KET-GOOD" in page
    assert DrugLot.objects.get(pk=good.pk).units_on_hand == 19
