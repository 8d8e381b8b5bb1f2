"""The home page a member of staff's role opens, the centers they work at, and switching between them."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from ketaclinic.audit.access import signed_in_view, staff_view
from ketaclinic.audit.actions import AuditAction
from ketaclinic.clinics.actors import StaffRequest, request_actor
from ketaclinic.clinics.selectors import center_list
from ketaclinic.clinics.services import active_center_switch
from ketaclinic.core.permissions import Perm


@staff_view(Perm.CENTER_VIEW, action=AuditAction.CENTER_SWITCHED)
@require_POST
def center_switch_view(request: StaffRequest) -> HttpResponse:
    active_center_switch(actor=request.actor, session=request.session, center_id=request.POST.get("center", ""))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    return redirect(target or "patients:list")


@staff_view(Perm.CENTER_VIEW, action=AuditAction.CENTER_LIST_VIEWED)
def center_list_view(request: StaffRequest) -> HttpResponse:
    return render(request, "clinics/center_list.html", {"centers": center_list(actor=request.actor)})


@signed_in_view
def home_view(request: HttpRequest) -> HttpResponse:
    """Send each member of staff to the first page their role opens."""
    if request_actor(request).can(Perm.PATIENT_LIST):
        return redirect("patients:list")
    return redirect("clinics:centers")
