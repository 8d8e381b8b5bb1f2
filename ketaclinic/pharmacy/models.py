"""Drug products, the lots each center holds, and every movement of their stock.

Ketamine is a Schedule III controlled substance: a lot's count on hand is only ever changed by
a movement row that says why (received, drawn for a dose, wasted, adjusted), and no row here is
deleted.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ketaclinic.audit.records import AppendOnlyQuerySet, HistoryBypassed


class Drug(models.TextChoices):
    KETAMINE = "ketamine", _("Ketamine")
    ESKETAMINE = "esketamine", _("Esketamine")


class DosageForm(models.TextChoices):
    INJECTION_VIAL = "injection_vial", _("Injection vial")
    NASAL_SPRAY_DEVICE = "nasal_spray_device", _("Nasal spray device")
    ORAL_UNIT = "oral_unit", _("Oral or sublingual unit (troche, lozenge)")


class NeverDeleted(models.Model):
    class Meta:
        abstract = True

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise HistoryBypassed(f"{type(self).__name__} rows are never deleted.")


class DrugProduct(NeverDeleted):
    """One presentation of a drug (ketamine 10 mg/mL x 20 mL vial, esketamine 28 mg device), from products.yaml."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    drug = models.CharField(max_length=16, choices=Drug.choices)
    dosage_form = models.CharField(max_length=24, choices=DosageForm.choices)
    strength_mg_per_ml = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    unit_volume_ml = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    unit_mg = models.DecimalField(max_digits=7, decimal_places=1, help_text=_("Drug in one vial or device."))
    rxnorm = models.CharField(max_length=16, blank=True, help_text=_("RxNorm code where known."))
    ndc = models.CharField(max_length=16, blank=True, help_text=_("NDC where verified."))
    source = models.TextField()
    # The Ketalar label: the 100 mg/mL strength is not given IV without dilution. ketaclinic has no
    # dilution step, so such a product is not drawn for an infusion (products.yaml says why).
    iv_needs_dilution = models.BooleanField(
        default=False, help_text=_("The label requires dilution before IV use: not drawn for an infusion.")
    )
    iv_needs_dilution_source = models.TextField(blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["drug", "strength_mg_per_ml", "unit_mg"]
        constraints = [
            models.CheckConstraint(condition=models.Q(unit_mg__gt=0), name="product_unit_mg_positive"),
            models.CheckConstraint(
                condition=models.Q(strength_mg_per_ml__isnull=True) | models.Q(strength_mg_per_ml__gt=0),
                name="product_strength_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def units_label(self, count: int) -> str:
        """'1 vial', '3 devices'."""
        if self.dosage_form == DosageForm.NASAL_SPRAY_DEVICE:
            return ngettext("%(n)s device", "%(n)s devices", count) % {"n": count}
        if self.dosage_form == DosageForm.ORAL_UNIT:
            return ngettext("%(n)s unit", "%(n)s units", count) % {"n": count}
        return ngettext("%(n)s vial", "%(n)s vials", count) % {"n": count}

    @property
    def presentation(self) -> str:
        """How the nurse reads the label: '10 mg/mL x 20 mL', or '28 mg' for a device."""
        if self.dosage_form == DosageForm.INJECTION_VIAL and self.strength_mg_per_ml and self.unit_volume_ml:
            return f"{self.strength_mg_per_ml.normalize():f} mg/mL x {self.unit_volume_ml.normalize():f} mL"
        return f"{Decimal(self.unit_mg).normalize():f} mg"


class DrugLot(NeverDeleted):
    """One manufacturer's lot of a product held at a center, with its count on hand."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    center = models.ForeignKey("clinics.TreatmentCenter", on_delete=models.PROTECT, related_name="drug_lots")
    product = models.ForeignKey(DrugProduct, on_delete=models.PROTECT, related_name="lots")
    lot_number = models.CharField(max_length=40)
    expires_on = models.DateField()
    units_on_hand = models.PositiveIntegerField(default=0, help_text=_("Vials or devices in stock."))
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField()

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["expires_on", "lot_number"]
        constraints = [
            models.UniqueConstraint(fields=["center", "product", "lot_number"], name="drug_lot_unique_per_center"),
        ]

    def __str__(self) -> str:
        return f"{self.lot_number} · {self.product.name} · exp {self.expires_on:%Y-%m-%d} · {self.units_on_hand}"

    @property
    def audit_patient_id(self) -> int | None:
        return None

    @property
    def audit_center_id(self) -> int | None:
        return self.center_id


class StockMovement(NeverDeleted):
    """One change to a lot's count, with who made it, why, and the count after it."""

    class Kind(models.TextChoices):
        RECEIVED = "received", _("Received")
        DRAWN = "drawn", _("Drawn for a dose")
        WASTED = "wasted", _("Wasted (broken, expired, discarded)")
        ADJUSTED = "adjusted", _("Adjusted after a count")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    lot = models.ForeignKey(DrugLot, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    units = models.IntegerField(help_text=_("Vials or devices: positive in, negative out."))
    units_after = models.PositiveIntegerField()
    dose = models.ForeignKey(
        "treatment_sessions.DoseAdministration",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stock_movements",
    )
    reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    # A second clinician who watched the waste or the count and signed with their password.
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(units=0), name="stock_movement_moves"),
            models.CheckConstraint(
                condition=~models.Q(kind="drawn") | models.Q(dose__isnull=False), name="stock_drawn_for_a_dose"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.units:+d} ({self.units_after} left)"

    @property
    def audit_patient_id(self) -> int | None:
        return self.dose.session.patient_id if self.dose is not None else None

    @property
    def audit_center_id(self) -> int | None:
        return self.lot.center_id


def route_may_draw(product: DrugProduct, route: str) -> bool:
    """Whether a dose by this route may be drawn from the product as it comes (no dilution step)."""
    return not (route == "iv" and product.iv_needs_dilution)


# What each treatment route (patients.TreatmentRoute values) draws its dose from.
ROUTE_PRODUCTS: dict[str, tuple[str, frozenset[str]]] = {
    "iv": (Drug.KETAMINE, frozenset({DosageForm.INJECTION_VIAL})),
    "im": (Drug.KETAMINE, frozenset({DosageForm.INJECTION_VIAL})),
    "esketamine_nasal_spray": (Drug.ESKETAMINE, frozenset({DosageForm.NASAL_SPRAY_DEVICE})),
    "oral_sublingual": (Drug.KETAMINE, frozenset({DosageForm.ORAL_UNIT})),
}
