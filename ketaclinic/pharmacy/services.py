"""Every change to a center's drug stock: received, drawn for a dose, wasted, adjusted; each one a row."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.accounts.signatures import signature_password_check
from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import audit_change_record, audit_change_since
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.authorization import require
from ketaclinic.clinics.models import TreatmentCenter
from ketaclinic.core.errors import Conflict, RuleViolation
from ketaclinic.core.permissions import Perm
from ketaclinic.pharmacy.models import DrugLot, DrugProduct, StockMovement, route_may_draw
from ketaclinic.validation import validated

CATALOG_PATH = Path(__file__).with_name("products.yaml")
Kind = StockMovement.Kind
# The history entry of a stock movement names its kind.
_MOVEMENT_ACTIONS: dict[str, AuditAction] = {
    Kind.RECEIVED: AuditAction.STOCK_RECEIVED,
    Kind.DRAWN: AuditAction.STOCK_DRAWN,
    Kind.WASTED: AuditAction.STOCK_WASTED,
    Kind.ADJUSTED: AuditAction.STOCK_ADJUSTED,
}


@dataclass(frozen=True, slots=True)
class CatalogProduct:
    key: str
    name: str
    values: dict[str, Any]


@functools.cache
def product_catalog() -> dict[str, CatalogProduct]:
    """The products a center may receive, from products.yaml (each with its source)."""
    data = yaml.safe_load(CATALOG_PATH.read_text())
    catalog = {}
    for entry in data["products"]:
        values = dict(entry)
        for name in ("strength_mg_per_ml", "unit_volume_ml", "unit_mg"):
            values[name] = Decimal(str(values[name])) if values.get(name) not in (None, "") else None
        catalog[entry["key"]] = CatalogProduct(key=entry["key"], name=entry["name"], values=values)
    return catalog


def drug_product_ensure(*, key: str) -> DrugProduct:
    """The product row for a catalog key, created from the catalog the first time it is used."""
    entry = product_catalog().get(key)
    if entry is None:
        raise RuleViolation(_("No such product."), code="unknown_product", field="product")
    product = DrugProduct.objects.filter(key=key).first()
    if product is None:
        product = DrugProduct(**entry.values)
        validated(product)
        product.save()
    return product


def _move(
    *, actor: Actor, lot: DrugLot, kind: str, units: int, reason: str = "", dose: Any = None, witness: Any = None
) -> StockMovement:
    """Change a locked lot's count by ``units`` and record the movement with the count after it."""
    after = lot.units_on_hand + units
    if after < 0:
        raise RuleViolation(
            _("Lot %(lot)s has %(held)s on hand; %(want)s needed.")
            % {
                "lot": lot.lot_number,
                "held": lot.product.units_label(lot.units_on_hand),
                "want": lot.product.units_label(-units),
            },
            code="lot_short",
            field="lot",
        )
    lot.units_on_hand = after
    lot.save(update_fields=["units_on_hand"])
    movement = StockMovement(
        lot=lot,
        kind=kind,
        units=units,
        units_after=after,
        dose=dose,
        reason=reason,
        recorded_by=actor.user,
        witness=witness,
        recorded_at=timezone.now(),
    )
    validated(movement)
    movement.save()
    audit_change_since(actor=actor, instance=movement, action=_MOVEMENT_ACTIONS[kind], before={}, reason=reason)
    return movement


@transaction.atomic
def drug_lot_receive(
    *,
    actor: Actor,
    center: TreatmentCenter,
    product_key: str,
    lot_number: str,
    expires_on: dt.date,
    units: int,
) -> DrugLot:
    """Receive vials or devices of a lot into a center's stock (a new lot, or more of one held).

    Stock of a Schedule III drug is controlled by a center admin, prescriber or medical director,
    not by whoever prepares doses.
    """
    require(actor, Perm.STOCK_MANAGE, center_id=center.pk)
    number = lot_number.strip()
    if not number:
        raise RuleViolation(_("Enter the lot number."), code="required", field="lot_number")
    if units < 1:
        raise RuleViolation(_("Receive at least one vial or device."), code="no_units", field="units")
    if expires_on < center.local_date():
        raise RuleViolation(
            _("Lot %(lot)s expired on %(date)s; do not receive it.") % {"lot": number, "date": expires_on},
            code="lot_expired",
            field="expires_on",
        )
    product = drug_product_ensure(key=product_key)
    lot = DrugLot.objects.select_for_update().filter(center=center, product=product, lot_number=number).first()
    if lot is None:
        lot = DrugLot(
            center=center,
            product=product,
            lot_number=number,
            expires_on=expires_on,
            received_by=actor.user,
            received_at=timezone.now(),
        )
        validated(lot)
        try:
            # Two people receiving the same new lot at once: the second insert meets the first's row.
            with transaction.atomic():
                lot.save()
        except IntegrityError:
            raise Conflict(
                _(
                    "Lot %(lot)s was received by someone else at the same moment: check the stock list, then "
                    "receive again if these vials are not counted there."
                )
                % {"lot": number},
                code="lot_received_concurrently",
                field="lot_number",
            ) from None
        audit_change_record(
            actor=actor,
            instance=lot,
            action=AuditAction.DRUG_LOT_CREATED,
            changes={
                "product": [None, product.key],
                "lot_number": [None, number],
                "expires_on": [None, str(expires_on)],
            },
        )
    elif lot.expires_on != expires_on:
        raise RuleViolation(
            _("Lot %(lot)s is on file with expiry %(date)s; check the label.")
            % {"lot": number, "date": lot.expires_on},
            code="lot_expiry_mismatch",
            field="expires_on",
        )
    _move(actor=actor, lot=lot, kind=Kind.RECEIVED, units=units)
    return lot


def drug_lot_adjust(
    *, actor: Actor, lot: DrugLot, kind: str, units: int, reason: str, witness: Any, witness_password: str
) -> StockMovement:
    """Take wasted vials out of stock, or correct the count after a physical count; always with a reason,
    and witnessed by a second clinician who signs with their own password (a Schedule III drug)."""
    require(actor, Perm.STOCK_MANAGE, center_id=lot.center_id)
    if witness is None or witness.pk == actor.user.pk:
        raise RuleViolation(
            _("A second person must witness a count adjustment or waste of stock."),
            code="same_clinician",
            field="witness",
        )
    witnessing = Actor.of(witness)
    if not (
        witnessing.can(Perm.DOSE_VERIFY, center_id=lot.center_id)
        or witnessing.can(Perm.STOCK_MANAGE, center_id=lot.center_id)
    ):
        raise RuleViolation(
            _("The witness must be a nurse, prescriber or stock manager of this center."),
            code="bad_witness",
            field="witness",
        )
    signature_password_check(signer=witness, password=witness_password)
    return _lot_adjusted(actor=actor, lot=lot, kind=kind, units=units, reason=reason, witness=witness)


@transaction.atomic
def _lot_adjusted(*, actor: Actor, lot: DrugLot, kind: str, units: int, reason: str, witness: Any) -> StockMovement:
    if kind not in (Kind.WASTED, Kind.ADJUSTED):
        raise RuleViolation(_("Only waste or a count adjustment is recorded here."), code="bad_kind", field="kind")
    if kind == Kind.WASTED and units >= 0:
        raise RuleViolation(_("Waste takes vials or devices out of stock."), code="bad_units", field="units")
    if units == 0:
        raise RuleViolation(_("Enter the change in vials or devices."), code="bad_units", field="units")
    if len(reason.strip()) < 3:
        raise RuleViolation(_("Say why."), code="reason_required", field="reason")
    locked = DrugLot.objects.select_for_update().select_related("product").get(pk=lot.pk)
    return _move(actor=actor, lot=locked, kind=kind, units=units, reason=reason.strip(), witness=witness)


def lot_for_dose(
    *, lot: DrugLot | None, center: TreatmentCenter, drug: str, dosage_forms: frozenset[str], route: str
) -> DrugLot:
    """The picked lot, locked: at the patient's center, of the right drug and form, in date, in stock.

    Called inside the dose's transaction, so the count it checks is the count it will change.
    """
    if lot is None:
        raise RuleViolation(_("Pick the lot the dose is drawn from."), code="required", field="lot")
    locked = DrugLot.objects.select_for_update().select_related("product").get(pk=lot.pk)
    if locked.center_id != center.pk:
        raise RuleViolation(_("This lot is held at another center."), code="lot_elsewhere", field="lot")
    if locked.product.drug != drug or locked.product.dosage_form not in dosage_forms:
        raise RuleViolation(
            _("Lot %(lot)s is %(product)s, not %(drug)s for this route.")
            % {"lot": locked.lot_number, "product": locked.product.name, "drug": drug},
            code="lot_wrong_drug",
            field="lot",
        )
    if not route_may_draw(locked.product, route):
        raise RuleViolation(
            _(
                "Lot %(lot)s is %(product)s: the label requires it diluted before IV use; pick a lot of a strength "
                "given as it comes."
            )
            % {"lot": locked.lot_number, "product": locked.product.name},
            code="lot_needs_dilution",
            field="lot",
        )
    if locked.expires_on < center.local_date():
        raise RuleViolation(
            _("Lot %(lot)s expired on %(date)s; do not use it.")
            % {"lot": locked.lot_number, "date": locked.expires_on},
            code="lot_expired",
            field="lot",
        )
    if locked.units_on_hand < 1:
        raise RuleViolation(
            _("Lot %(lot)s has none left on hand.") % {"lot": locked.lot_number}, code="lot_short", field="lot"
        )
    return locked


def stock_draw(*, actor: Actor, lot: DrugLot, units: int, dose: Any) -> StockMovement:
    """Take the vials or devices drawn for a dose out of a lot locked by ``lot_for_dose``."""
    return _move(actor=actor, lot=lot, kind=Kind.DRAWN, units=-units, dose=dose)
