"""Reads of a center's drug stock, scoped to the centers where the actor manages stock."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.models import TreatmentCenter
from ketaclinic.core.errors import NotFound
from ketaclinic.core.permissions import Perm
from ketaclinic.patients.selectors.scoping import at_centers
from ketaclinic.pharmacy.models import ROUTE_PRODUCTS, DrugLot, StockMovement


def stock_center_get(*, actor: Actor, center_slug: str) -> TreatmentCenter:
    """A center whose stock the actor may see; any other answers as if it did not exist."""
    center = (
        TreatmentCenter.objects.filter(at_centers(actor=actor, perm=Perm.STOCK_MANAGE, field="pk"))
        .filter(slug=center_slug)
        .first()
    )
    if center is None:
        raise NotFound(_("Center not found."), code="center_not_found")
    return center


def drug_lot_list(*, actor: Actor, center: TreatmentCenter) -> QuerySet[DrugLot]:
    return DrugLot.objects.filter(at_centers(actor=actor, perm=Perm.STOCK_MANAGE, center_id=center.pk)).select_related(
        "product"
    )


def drug_lots_usable(
    *, center_id: int, drug: str, dosage_forms: frozenset[str], on: dt.date, route: str
) -> QuerySet[DrugLot]:
    """Lots a dose by the route may be drawn from: at the center, of the drug and form, in date, in
    stock, and not a strength the route would need diluted (pharmacy.models.route_may_draw)."""
    lots = DrugLot.objects.filter(
        center_id=center_id,
        product__drug=drug,
        product__dosage_form__in=dosage_forms,
        expires_on__gte=on,
        units_on_hand__gt=0,
    )
    if route == "iv":
        lots = lots.exclude(product__iv_needs_dilution=True)
    return lots.select_related("product").order_by("expires_on", "lot_number")


def stock_movement_list(*, actor: Actor, center: TreatmentCenter, limit: int = 50) -> list[StockMovement]:
    return list(
        StockMovement.objects.filter(
            at_centers(actor=actor, perm=Perm.STOCK_MANAGE, center_id=center.pk, field="lot__center_id")
        )
        .select_related("lot__product", "recorded_by")
        .order_by("-recorded_at", "-pk")[:limit]
    )


def drug_lots_for_route(*, center: TreatmentCenter, route: str) -> QuerySet[DrugLot]:
    """The lots a dose by this route may be drawn from at the center today."""
    drug, forms = ROUTE_PRODUCTS[route]
    return drug_lots_usable(center_id=center.pk, drug=drug, dosage_forms=forms, on=center.local_date(), route=route)
