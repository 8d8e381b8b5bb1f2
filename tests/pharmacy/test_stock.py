"""Receiving lots into a center's stock, and every change to it kept as a movement."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from ketaclinic.audit.models import AuditEntry
from ketaclinic.audit.records import HistoryBypassed
from ketaclinic.core.errors import Forbidden, RuleViolation
from ketaclinic.core.permissions import Role
from ketaclinic.pharmacy.models import DrugLot, DrugProduct, StockMovement
from ketaclinic.pharmacy.services import drug_lot_adjust
from tests.factories import PASSWORD, StaffFactory
from tests.pharmacy.steps import EXPIRES, receive
from tests.steps import acting, signed_in


@pytest.fixture
def keeper(center):  # type: ignore[no-untyped-def]
    """Stock of a Schedule III drug is managed by a center admin, prescriber or medical director."""
    return StaffFactory(center=center, role=Role.CENTER_ADMIN)


@pytest.mark.django_db
def test_a_stock_manager_receives_a_lot_of_a_catalog_product_with_its_strength_and_history(center, keeper):
    lot = receive(keeper, center)
    assert (lot.units_on_hand, lot.center, lot.expires_on) == (10, center, EXPIRES)
    product = lot.product
    assert (product.drug, product.strength_mg_per_ml, product.unit_volume_ml, product.unit_mg, product.rxnorm) == (
        "ketamine",
        Decimal("10"),
        Decimal("20"),
        Decimal("200"),
        "6130",
    )
    assert product.source
    movement = StockMovement.objects.get()
    assert (movement.kind, movement.units, movement.units_after, movement.recorded_by) == ("received", 10, 10, keeper)
    assert AuditEntry.objects.filter(action="drug_lot.created", center=center).exists()
    assert AuditEntry.objects.filter(action="stock.received", center=center).exists()
    again = receive(keeper, center, units=5)
    assert again.pk == lot.pk and DrugLot.objects.get(pk=lot.pk).units_on_hand == 15
    assert list(StockMovement.objects.values_list("units_after", flat=True)) == [10, 15]


@pytest.mark.django_db
def test_the_esketamine_device_is_a_28_mg_unit(center, keeper):
    lot = receive(keeper, center, product_key="esketamine_28mg_device", lot_number="ESK-1")
    assert (lot.product.unit_mg, lot.product.dosage_form, lot.product.presentation) == (
        Decimal("28.0"),
        "nasal_spray_device",
        "28 mg",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"expires_on": dt.date(2020, 1, 1)}, "lot_expired"),
        ({"units": 0}, "no_units"),
        ({"lot_number": "  "}, "required"),
        ({"product_key": "ketamine_1mg_ml"}, "unknown_product"),
    ],
)
def test_an_impossible_receipt_is_refused_and_nothing_is_kept(center, keeper, changes, code):
    with pytest.raises(RuleViolation) as raised:
        receive(keeper, center, **changes)
    assert raised.value.code == code
    assert not DrugLot.objects.exists() and not StockMovement.objects.exists()


@pytest.mark.django_db
def test_the_same_lot_received_with_another_expiry_is_refused(center, keeper):
    receive(keeper, center)
    with pytest.raises(RuleViolation) as raised:
        receive(keeper, center, expires_on=EXPIRES + dt.timedelta(days=1))
    assert raised.value.code == "lot_expiry_mismatch"
    assert DrugLot.objects.get().units_on_hand == 10


@pytest.mark.django_db
def test_front_desk_nurses_and_other_centers_cannot_receive(center, other_center, nurse, keeper):
    with pytest.raises(Forbidden):
        receive(StaffFactory(center=center, role=Role.FRONT_DESK), center)
    with pytest.raises(Forbidden):
        receive(nurse, center)
    with pytest.raises(Forbidden):
        receive(keeper, other_center)
    assert not DrugLot.objects.exists()


@pytest.mark.django_db
def test_waste_and_count_adjustments_are_movements_with_a_reason_never_deletions(center, keeper, witness):
    lot = receive(keeper, center)
    signed = {"witness": witness, "witness_password": PASSWORD}
    with pytest.raises(RuleViolation) as raised:
        drug_lot_adjust(actor=acting(keeper), lot=lot, kind="wasted", units=-1, reason="", **signed)
    assert raised.value.code == "reason_required"
    drug_lot_adjust(actor=acting(keeper), lot=lot, kind="wasted", units=-1, reason="Vial dropped and broke", **signed)
    drug_lot_adjust(
        actor=acting(keeper), lot=lot, kind="adjusted", units=-2, reason="Count at close: 7 vials", **signed
    )
    with pytest.raises(RuleViolation) as raised:
        drug_lot_adjust(actor=acting(keeper), lot=lot, kind="adjusted", units=-8, reason="Typo", **signed)
    assert raised.value.code == "lot_short"
    assert DrugLot.objects.get(pk=lot.pk).units_on_hand == 7
    assert list(StockMovement.objects.values_list("kind", "units_after")) == [
        ("received", 10),
        ("wasted", 9),
        ("adjusted", 7),
    ]
    with pytest.raises(HistoryBypassed):
        StockMovement.objects.first().delete()  # type: ignore[union-attr]
    with pytest.raises(HistoryBypassed):
        DrugLot.objects.all().delete()
    with pytest.raises(HistoryBypassed):
        DrugProduct.objects.all().update(unit_mg=1)


@pytest.mark.django_db
def test_the_stock_page_receives_a_lot_and_lists_it(center, keeper):
    client = signed_in(keeper)
    url = reverse("pharmacy:stock", kwargs={"center_slug": center.slug})
    response = client.post(
        url,
        {"product_key": "ketamine_10mg_ml_20ml", "lot_number": "KX-7", "expires_on": "2030-06-30", "units": "4"},
        follow=True,
    )
    page = response.content.decode()
    assert response.status_code == 200 and "Received 4 vials of lot KX-7; 4 vials on hand." in page
    assert DrugLot.objects.get().units_on_hand == 4
    refused = client.post(
        url, {"product_key": "ketamine_10mg_ml_20ml", "lot_number": "KX-8", "expires_on": "2020-01-01", "units": "4"}
    )
    assert refused.status_code == 422 and "expired on 2020-01-01" in refused.content.decode()
    assert DrugLot.objects.count() == 1


@pytest.mark.django_db
def test_another_centers_stock_page_is_not_found(center, other_center, keeper):
    url = reverse("pharmacy:stock", kwargs={"center_slug": other_center.slug})
    assert signed_in(keeper).get(url).status_code == 404
