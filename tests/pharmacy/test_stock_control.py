"""Stock of a Schedule III drug is not one person's to change: managed roles, a witness, no lost race."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from ketaclinic.core.errors import Conflict, Forbidden, RuleViolation
from ketaclinic.core.permissions import Role
from ketaclinic.pharmacy.models import DrugLot, StockMovement
from ketaclinic.pharmacy.services import drug_lot_adjust, drug_product_ensure
from tests.factories import PASSWORD, StaffFactory
from tests.pharmacy.steps import EXPIRES, receive
from tests.steps import acting, signed_in


@pytest.fixture
def keeper(center):  # type: ignore[no-untyped-def]
    return StaffFactory(center=center, role=Role.PRESCRIBER)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.CENTER_ADMIN, Role.PRESCRIBER, Role.MEDICAL_DIRECTOR])
def test_stock_managers_receive(center, role):
    assert receive(StaffFactory(center=center, role=role), center).units_on_hand == 10


@pytest.mark.django_db
def test_a_nurse_who_prepares_doses_cannot_receive_or_adjust_stock(center, nurse, keeper, witness):
    with pytest.raises(Forbidden):
        receive(nurse, center)
    lot = receive(keeper, center)
    with pytest.raises(Forbidden):
        drug_lot_adjust(
            actor=acting(nurse),
            lot=lot,
            kind="adjusted",
            units=5,
            reason="Found a box",
            witness=witness,
            witness_password=PASSWORD,
        )
    assert DrugLot.objects.get().units_on_hand == 10 and StockMovement.objects.count() == 1


@pytest.mark.django_db
def test_a_count_adjustment_needs_a_second_persons_password(center, keeper, witness):
    lot = receive(keeper, center)
    count = {"actor": acting(keeper), "lot": lot, "kind": "adjusted", "units": -2, "reason": "Count at close: 8 vials"}
    with pytest.raises(RuleViolation) as raised:
        drug_lot_adjust(**count, witness=None, witness_password="")
    assert (raised.value.code, raised.value.field) == ("same_clinician", "witness")
    with pytest.raises(RuleViolation) as raised:
        drug_lot_adjust(**count, witness=keeper, witness_password=PASSWORD)
    assert raised.value.code == "same_clinician" and "second person" in str(raised.value)
    desk = StaffFactory(center=center, role=Role.FRONT_DESK, with_password=True)
    with pytest.raises(RuleViolation) as raised:
        drug_lot_adjust(**count, witness=desk, witness_password=PASSWORD)
    assert raised.value.code == "bad_witness"
    with pytest.raises(Forbidden, match="password"):
        drug_lot_adjust(**count, witness=witness, witness_password="not it")
    assert DrugLot.objects.get().units_on_hand == 10 and StockMovement.objects.count() == 1
    movement = drug_lot_adjust(**count, witness=witness, witness_password=PASSWORD)
    assert (movement.kind, movement.units_after, movement.recorded_by, movement.witness) == (
        "adjusted",
        8,
        keeper,
        witness,
    )


@pytest.mark.django_db
def test_a_lot_received_by_two_people_at_once_is_a_conflict_not_a_crash(center, keeper):
    """The other receipt commits just before this one's insert (after its checks), as on two tablets at once."""
    product = drug_product_ensure(key="ketamine_10mg_ml_20ml")
    other = StaffFactory(center=center, role=Role.CENTER_ADMIN)
    raced = []

    def the_other_receipt_lands(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if not raced and sql.startswith('INSERT INTO "pharmacy_druglot"'):
            raced.append(True)
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO pharmacy_druglot (external_id, center_id, product_id, lot_number, expires_on,"
                    " units_on_hand, received_by_id, received_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    ["0" * 32, center.pk, product.pk, "KX-100", EXPIRES, 0, other.pk, "2026-12-02 18:00:00"],
                )
        return execute(sql, params, many, context)

    with connection.execute_wrapper(the_other_receipt_lands), pytest.raises(Conflict) as raised:
        receive(keeper, center)
    assert raised.value.code == "lot_received_concurrently" and "KX-100" in str(raised.value)
    assert raced and not StockMovement.objects.exists()


@pytest.mark.django_db
def test_the_stock_page_is_the_stock_managers(center, nurse, keeper):
    url = reverse("pharmacy:stock", kwargs={"center_slug": center.slug})
    assert signed_in(nurse).get(url).status_code == 403
    assert signed_in(keeper).get(url).status_code == 200
