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
from ketaclinic.clinics.authorization import can
from ketaclinic.core import eligibility
from ketaclinic.core.permissions import Perm
from ketaclinic.http_errors import form_errors_from
from ketaclinic.intake.assessment import evaluations, treatment_resistance
from ketaclinic.intake.consultation_forms import ConsultationForm, DecisionForm, PriorTrialForm
from ketaclinic.intake.models import Consultation
from ketaclinic.intake.selectors.consultations import (
    consultation_get,
    consultation_latest,
    decisions_for,
    prior_trials_for,
)
from ketaclinic.intake.services.consultation import consultation_start, consultation_update, prior_trial_add
from ketaclinic.intake.services.decision import eligibility_decision_sign
from ketaclinic.patients.models import Patient, TreatmentRoute
from ketaclinic.patients.selectors.patients import patient_chart_get
from ketaclinic.patients.views import chart_context


def _page(
    request: StaffRequest, patient: Patient, consultation: Consultation, *, status: int = 200, **forms: object
) -> HttpResponse:
    trials = prior_trials_for(actor=request.actor, consultation=consultation)
    context = chart_context(
        request,
        patient,
        "consultation",
        consultation=consultation,
        form=forms.get("form") or ConsultationForm(instance=consultation),
        trial_form=forms.get("trial_form") or PriorTrialForm(),
        decision_form=forms.get("decision_form") or DecisionForm(),
        trials=trials,
        resistance=treatment_resistance(consultation, trials),
        evaluations=[(TreatmentRoute(e.route.value).label, e) for e in evaluations(consultation)],
        decisions=decisions_for(actor=request.actor, consultation=consultation),
        can_write=can(request.actor, Perm.CONSULTATION_WRITE, center_id=patient.center_id),
        can_decide=can(request.actor, Perm.ELIGIBILITY_DECIDE, center_id=patient.center_id),
        sharing=[m for m in patient.current_care_team if m.has_consent_to_share],  # type: ignore[attr-defined]
        relative=eligibility.RuleKind.RELATIVE,
        absolute=eligibility.RuleKind.ABSOLUTE,
    )
    return render(request, "intake/consultation.html", context, status=status)


@staff_view(Perm.CONSULTATION_VIEW, action=AuditAction.CONSULTATION_VIEWED)
def consultation_view(request: StaffRequest, patient_id: UUID) -> HttpResponse:
    patient = patient_chart_get(actor=request.actor, perm=Perm.CONSULTATION_VIEW, patient_id=patient_id)
    consultation = consultation_latest(actor=request.actor, patient=patient)
    if request.method == "POST" and consultation is None:
        consultation = consultation_start(actor=request.actor, patient=patient)
        return redirect(
            "consultations:record", patient_id=patient.external_id, consultation_id=consultation.external_id
        )
    if consultation is None:
        context = chart_context(
            request,
            patient,
            "consultation",
            can_write=can(request.actor, Perm.CONSULTATION_WRITE, center_id=patient.center_id),
        )
        return render(request, "intake/consultation_start.html", context)
    return redirect("consultations:record", patient_id=patient.external_id, consultation_id=consultation.external_id)


@staff_view(Perm.CONSULTATION_VIEW, action=AuditAction.CONSULTATION_VIEWED)
def consultation_record_view(request: StaffRequest, patient_id: UUID, consultation_id: UUID) -> HttpResponse:
    patient = patient_chart_get(actor=request.actor, perm=Perm.CONSULTATION_VIEW, patient_id=patient_id)
    consultation = consultation_get(actor=request.actor, patient=patient, consultation_id=consultation_id)
    if request.method == "POST":
        form = ConsultationForm(request.POST, instance=consultation)
        if form.is_valid():
            with form_errors_from(form):
                consultation_update(actor=request.actor, consultation=consultation, fields=form.service_fields())
                messages.success(request, _("Consultation saved."))
                return redirect(
                    "consultations:record", patient_id=patient.external_id, consultation_id=consultation.external_id
                )
        consultation.refresh_from_db()
        return _page(request, patient, consultation, form=form, status=422)
    return _page(request, patient, consultation)


@staff_view(Perm.CONSULTATION_WRITE, action=AuditAction.PRIOR_TRIAL_ADDED)
@require_POST
def prior_trial_add_view(request: StaffRequest, patient_id: UUID, consultation_id: UUID) -> HttpResponse:
    patient = patient_chart_get(actor=request.actor, perm=Perm.CONSULTATION_WRITE, patient_id=patient_id)
    consultation = consultation_get(actor=request.actor, patient=patient, consultation_id=consultation_id)
    form = PriorTrialForm(request.POST)
    if form.is_valid():
        with form_errors_from(form):
            prior_trial_add(actor=request.actor, consultation=consultation, fields=form.cleaned_data)
            messages.success(request, _("Trial added."))
            return redirect(
                "consultations:record", patient_id=patient.external_id, consultation_id=consultation.external_id
            )
    return _page(request, patient, consultation, trial_form=form, status=422)


@staff_view(Perm.ELIGIBILITY_DECIDE, action=AuditAction.ELIGIBILITY_DECISION_SIGNED)
@require_POST
def decision_sign_view(request: StaffRequest, patient_id: UUID, consultation_id: UUID) -> HttpResponse:
    patient = patient_chart_get(actor=request.actor, perm=Perm.ELIGIBILITY_DECIDE, patient_id=patient_id)
    consultation = consultation_get(actor=request.actor, patient=patient, consultation_id=consultation_id)
    form = DecisionForm(request.POST)
    if form.is_valid():
        with form_errors_from(form):
            eligibility_decision_sign(
                actor=request.actor,
                consultation=consultation,
                route=form.cleaned_data["route"],
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
                justifications=form.justification_map(),
                password=form.cleaned_data["password"],
            )
            messages.success(request, _("Decision signed."))
            return redirect(
                "consultations:record", patient_id=patient.external_id, consultation_id=consultation.external_id
            )
    return _page(request, patient, consultation, decision_form=form, status=422)
