"""The center admin's review of each emergency ("break the glass") access to a patient record."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ketaclinic.audit.access import staff_view
from ketaclinic.audit.actions import AuditAction
from ketaclinic.clinics.actors import StaffRequest
from ketaclinic.core.permissions import Perm
from ketaclinic.http_errors import form_errors_from
from ketaclinic.patients.forms import EmergencyReviewForm
from ketaclinic.patients.selectors.emergency_access import emergency_access_get, emergency_access_list
from ketaclinic.patients.services.emergency_access import emergency_access_review


@staff_view(Perm.AUDIT_REVIEW, action=AuditAction.AUDIT_EMERGENCY_REVIEWS_VIEWED)
def emergency_review_list_view(request: StaffRequest) -> HttpResponse:
    pending_only = request.GET.get("all") != "1"
    grants = emergency_access_list(actor=request.actor, pending_review_only=pending_only)[:200]
    return render(
        request,
        "audit/emergency_reviews.html",
        {"grants": grants, "pending_only": pending_only, "form": EmergencyReviewForm()},
    )


@staff_view(Perm.AUDIT_REVIEW, action=AuditAction.EMERGENCY_ACCESS_REVIEWED)
@require_POST
def emergency_review_view(request: StaffRequest, grant_id: UUID) -> HttpResponse:
    grant = emergency_access_get(actor=request.actor, grant_id=grant_id)
    form = EmergencyReviewForm(request.POST)
    if form.is_valid():
        with form_errors_from(form):
            emergency_access_review(actor=request.actor, grant=grant, note=form.cleaned_data["note"])
            messages.success(request, _("Review recorded."))
            return redirect("audit:emergency_reviews")
    messages.error(request, _("Write what the review found."))
    return redirect("audit:emergency_reviews")
