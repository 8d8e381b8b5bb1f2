"""The center's drug stock: lots on hand, their movements, and receiving a delivery."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.audit.access import staff_view
from ketaclinic.audit.actions import AuditAction
from ketaclinic.clinics.actors import StaffRequest
from ketaclinic.core.permissions import Perm
from ketaclinic.http_errors import form_errors_from
from ketaclinic.pharmacy.forms import LotReceiveForm
from ketaclinic.pharmacy.selectors import drug_lot_list, stock_center_get, stock_movement_list
from ketaclinic.pharmacy.services import drug_lot_receive


@staff_view(Perm.STOCK_MANAGE, action=AuditAction.PHARMACY_STOCK_VIEWED)
def stock_view(request: StaffRequest, center_slug: str) -> HttpResponse:
    center = stock_center_get(actor=request.actor, center_slug=center_slug)
    form = LotReceiveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            lot = drug_lot_receive(actor=request.actor, center=center, **form.cleaned_data)
            messages.success(
                request,
                _("Received %(units)s of lot %(lot)s; %(held)s on hand.")
                % {
                    "units": lot.product.units_label(form.cleaned_data["units"]),
                    "lot": lot.lot_number,
                    "held": lot.product.units_label(lot.units_on_hand),
                },
            )
            return redirect("pharmacy:stock", center_slug=center.slug)
    context = {
        "center": center,
        "form": form,
        "lots": drug_lot_list(actor=request.actor, center=center),
        "movements": stock_movement_list(actor=request.actor, center=center),
        "today": center.local_date(),
    }
    with timezone.override(center.zone):
        return render(request, "pharmacy/stock.html", context, status=422 if form.errors else 200)
