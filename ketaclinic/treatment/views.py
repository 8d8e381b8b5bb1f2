from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.accounts.signatures import SIGNATURE_REFUSALS
from ketaclinic.audit.access import staff_view
from ketaclinic.audit.actions import AuditAction
from ketaclinic.clinics.actors import StaffRequest
from ketaclinic.clinics.authorization import can, require
from ketaclinic.clinics.selectors import active_center_get
from ketaclinic.core.dosing import PROTOCOL_DEFAULTS
from ketaclinic.core.errors import Forbidden
from ketaclinic.core.permissions import Perm
from ketaclinic.http_errors import form_errors_from
from ketaclinic.patients.selectors.patients import patient_chart_get
from ketaclinic.patients.views import chart_context
from ketaclinic.treatment import services
from ketaclinic.treatment.forms import PlanForm
from ketaclinic.treatment.selectors import plan_get, plan_versions, plans_due_for_re_evaluation


def _initial(request: HttpRequest) -> dict[str, object]:
    key = request.GET.get("protocol") or "iv_racemic_ketamine"
    if key not in PROTOCOL_DEFAULTS:
        key = "iv_racemic_ketamine"
    defaults = services.plan_defaults(services.protocol_get(key))
    return defaults | {
        "indication": "Treatment-resistant depression",
        "measurement_instruments": ["phq9", "gad7"],
        "re_evaluation_due_on": timezone.localdate() + dt.timedelta(days=28),
    }


@contextmanager
def signature_refusals_on(form: PlanForm) -> Iterator[None]:
    """A mistyped signing password is the signer's slip: a message on the form, not a refused page."""
    try:
        yield
    except Forbidden as error:
        if error.code not in SIGNATURE_REFUSALS:
            raise
        form.add_error("password", error.message)


@staff_view(Perm.PLAN_VIEW, action=AuditAction.TREATMENT_PLAN_VIEWED)
def plan_tab_view(request: StaffRequest, patient_id: UUID) -> HttpResponse:
    patient = patient_chart_get(actor=request.actor, perm=Perm.PLAN_VIEW, patient_id=patient_id)
    versions = plan_versions(actor=request.actor, patient=patient)
    current = versions[0] if versions else None
    initial = services.plan_values(current) if current else _initial(request)
    form = PlanForm(request.POST or None, initial=initial)
    if request.method == "POST":
        require(request.actor, Perm.PLAN_SIGN, center_id=patient.center_id)
        if form.is_valid():
            with form_errors_from(form), signature_refusals_on(form):
                data = form.cleaned_data
                plan = services.treatment_plan_sign(
                    actor=request.actor,
                    patient=patient,
                    fields=data,
                    password=data["password"],
                    change_reason=data["change_reason"],
                    ceiling_sign_off=services.CeilingSignOff(
                        director_username=data["ceiling_director"],
                        password=data["ceiling_director_password"],
                        reason=data["ceiling_reason"],
                    ),
                )
                messages.success(request, _("Plan version %(version)s signed.") % {"version": plan.version})
                return redirect("treatment:plans", patient_id=patient.external_id)
    context = chart_context(
        request,
        patient,
        "plan",
        current=current,
        versions=versions,
        form=form,
        can_sign=can(request.actor, Perm.PLAN_SIGN, center_id=patient.center_id),
    )
    return render(request, "treatment/plans.html", context, status=422 if form.errors else 200)


@staff_view(Perm.PLAN_VIEW, action=AuditAction.TREATMENT_PLAN_VIEWED)
def plan_view(request: StaffRequest, patient_id: UUID, plan_id: UUID) -> HttpResponse:
    patient = patient_chart_get(actor=request.actor, perm=Perm.PLAN_VIEW, patient_id=patient_id)
    plan = plan_get(actor=request.actor, patient=patient, plan_id=plan_id)
    return render(request, "treatment/plan_detail.html", chart_context(request, patient, "plan", plan=plan))


@staff_view(Perm.PLAN_VIEW, action=AuditAction.TREATMENT_PLANS_RE_EVALUATION_QUEUE_VIEWED)
def re_evaluation_queue_view(request: StaffRequest) -> HttpResponse:
    center = active_center_get(actor=request.actor, session=request.session)
    today = timezone.localdate()
    plans = plans_due_for_re_evaluation(actor=request.actor, center_id=center.pk if center else None, today=today)
    return render(request, "treatment/re_evaluation_queue.html", {"plans": plans[:200], "today": today})
