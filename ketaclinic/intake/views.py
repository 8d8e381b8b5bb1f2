from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ketaclinic.audit.access import public_view, staff_view
from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.context import client_ip
from ketaclinic.clinics.actors import StaffRequest
from ketaclinic.clinics.authorization import can
from ketaclinic.clinics.selectors import active_center_get
from ketaclinic.core.permissions import Perm
from ketaclinic.http_errors import form_errors_from
from ketaclinic.intake.forms import BookingForm, ConsultationRequestForm, IntakeUpdateForm, RegisterForm
from ketaclinic.intake.models import ConsultationRequest
from ketaclinic.intake.selectors.inquiries import (
    center_public_get,
    consultation_clinicians,
    consultation_request_get,
    consultation_request_list,
)
from ketaclinic.intake.services.inquiries import (
    consultation_request_book,
    consultation_request_register,
    consultation_request_submit,
    consultation_request_update,
    inquiry_form_token,
)


@public_view
def consultation_request_view(request: HttpRequest, center_slug: str) -> HttpResponse:
    """The public form a person fills in to ask a center for a consultation."""
    center = center_public_get(slug=center_slug)
    form = ConsultationRequestForm(request.POST or None, initial={"form_token": inquiry_form_token()})
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            consultation_request_submit(
                center=center,
                fields=form.cleaned_data,
                form_token=form.cleaned_data["form_token"],
                honeypot=form.cleaned_data.get("website", ""),
                ip=client_ip(request),
            )
            return render(request, "intake/request_received.html", {"center": center})
        form.data = form.data.copy()
        form.data["form_token"] = inquiry_form_token()
    return render(request, "intake/request_form.html", {"center": center, "form": form})


@staff_view(Perm.INTAKE_VIEW, action=AuditAction.CONSULTATION_REQUESTS_LISTED)
def queue_view(request: StaffRequest) -> HttpResponse:
    center = active_center_get(actor=request.actor, session=request.session)
    status = request.GET.get("status", ConsultationRequest.Status.NEW)
    if status not in ConsultationRequest.Status.values and status != "all":
        status = ConsultationRequest.Status.NEW
    inquiries = consultation_request_list(
        actor=request.actor, center_id=center.pk if center else None, status="" if status == "all" else status
    )[:200]
    context = {"inquiries": inquiries, "status": status, "statuses": ConsultationRequest.Status.choices}
    return render(request, "intake/queue.html", context)


def _detail_context(request: StaffRequest, inquiry: ConsultationRequest, **forms: object) -> dict[str, object]:
    return {
        "inquiry": inquiry,
        "can_manage": can(request.actor, Perm.INTAKE_MANAGE, center_id=inquiry.center_id),
        "update_form": forms.get("update_form")
        or IntakeUpdateForm(initial={"status": inquiry.status, "note": inquiry.staff_note}),
        "register_form": forms.get("register_form") or RegisterForm(initial={"date_of_birth": inquiry.date_of_birth}),
        "booking_form": forms.get("booking_form")
        or BookingForm(clinicians=consultation_clinicians(center_id=inquiry.center_id)),
    }


@staff_view(Perm.INTAKE_VIEW, action=AuditAction.CONSULTATION_REQUEST_VIEWED)
def detail_view(request: StaffRequest, request_id: UUID) -> HttpResponse:
    inquiry = consultation_request_get(actor=request.actor, request_id=request_id)
    form = IntakeUpdateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            consultation_request_update(
                actor=request.actor, inquiry=inquiry, status=form.cleaned_data["status"], note=form.cleaned_data["note"]
            )
            messages.success(request, _("Request updated."))
            return redirect("intake:detail", request_id=inquiry.external_id)
        return render(request, "intake/detail.html", _detail_context(request, inquiry, update_form=form), status=422)
    return render(request, "intake/detail.html", _detail_context(request, inquiry))


@staff_view(Perm.INTAKE_MANAGE, action=AuditAction.CONSULTATION_REQUEST_REGISTERED)
@require_POST
def register_view(request: StaffRequest, request_id: UUID) -> HttpResponse:
    inquiry = consultation_request_get(actor=request.actor, request_id=request_id)
    form = RegisterForm(request.POST)
    if form.is_valid():
        with form_errors_from(form):
            patient = consultation_request_register(actor=request.actor, inquiry=inquiry, fields=form.cleaned_data)
            messages.success(request, _("Registered with record number %(mrn)s.") % {"mrn": patient.mrn})
            return redirect("intake:detail", request_id=inquiry.external_id)
    return render(request, "intake/detail.html", _detail_context(request, inquiry, register_form=form), status=422)


@staff_view(Perm.INTAKE_MANAGE, action=AuditAction.CONSULTATION_REQUEST_BOOKED)
@require_POST
def book_view(request: StaffRequest, request_id: UUID) -> HttpResponse:
    inquiry = consultation_request_get(actor=request.actor, request_id=request_id)
    form = BookingForm(request.POST, clinicians=consultation_clinicians(center_id=inquiry.center_id))
    if form.is_valid():
        with form_errors_from(form):
            consultation_request_book(
                actor=request.actor,
                inquiry=inquiry,
                consultation_at=form.cleaned_data["consultation_at"],
                clinician=form.cleaned_data["clinician"],
            )
            messages.success(request, _("Consultation booked."))
            return redirect("intake:detail", request_id=inquiry.external_id)
    return render(request, "intake/detail.html", _detail_context(request, inquiry, booking_form=form), status=422)
