from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ketaclinic.audit.access import staff_view
from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.selectors import record_history_list
from ketaclinic.clinics.actors import StaffRequest
from ketaclinic.clinics.authorization import can, require
from ketaclinic.clinics.selectors import active_center_get
from ketaclinic.core.permissions import Perm
from ketaclinic.http_errors import form_errors_from
from ketaclinic.patients.chart_tabs import CHART_TABS
from ketaclinic.patients.forms import (
    AllergyForm,
    CareTeamMemberForm,
    EmergencyAccessForm,
    PatientAlertForm,
    PatientForm,
    PatientSearchForm,
    PregnancyTestForm,
    ReasonForm,
    ResolutionForm,
)
from ketaclinic.patients.models import Patient
from ketaclinic.patients.selectors.allergies import allergy_get
from ketaclinic.patients.selectors.care_team import care_team_member_get
from ketaclinic.patients.selectors.patients import (
    patient_chart_get,
    patient_find_for_emergency,
    patient_get,
    patient_list,
)
from ketaclinic.patients.selectors.pregnancy_tests import pregnancy_tests_for
from ketaclinic.patients.services.alerts import patient_alert_raise, patient_alert_resolve
from ketaclinic.patients.services.allergies import allergy_mark_entered_in_error, allergy_record
from ketaclinic.patients.services.care_team import (
    care_team_member_add,
    care_team_member_mark_entered_in_error,
    care_team_member_update,
)
from ketaclinic.patients.services.emergency_access import emergency_access_grant
from ketaclinic.patients.services.pregnancy_tests import pregnancy_test_record
from ketaclinic.patients.services.registration import patient_create, patient_update

PAGE_SIZE = 25


@staff_view(Perm.PATIENT_LIST, action=AuditAction.PATIENT_LISTED)
def patient_list_view(request: StaffRequest) -> HttpResponse:
    form = PatientSearchForm(request.GET or None)
    search = form.cleaned_data["q"] if form.is_valid() else ""
    center = active_center_get(actor=request.actor, session=request.session)
    patients = patient_list(actor=request.actor, search=search, center_id=center.pk if center else None)
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "search": search, "can_create": can(request.actor, Perm.PATIENT_CREATE)}
    if request.headers.get("HX-Request"):
        return render(request, "patients/patient_list.html#results", context)
    return render(request, "patients/patient_list.html", context)


@staff_view(Perm.PATIENT_CREATE, action=AuditAction.PATIENT_CREATED)
def patient_create_view(request: StaffRequest) -> HttpResponse:
    center = active_center_get(actor=request.actor, session=request.session)
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and center is not None:
        with form_errors_from(form):
            patient = patient_create(actor=request.actor, center=center, fields=form.cleaned_data)
            messages.success(request, _("Patient registered with record number %(mrn)s.") % {"mrn": patient.mrn})
            return redirect(patient)
    return render(request, "patients/patient_form.html", {"form": form, "center": center, "patient": None})


def chart_context(request: StaffRequest, patient: Patient, tab: str, **extra: Any) -> dict[str, Any]:
    tabs = [
        t for t in CHART_TABS if can(request.actor, t.perm, center_id=patient.center_id) or t.perm is Perm.PATIENT_VIEW
    ]
    return {
        "patient": patient,
        "age": patient.age_on(timezone.localdate()),
        "tabs": tabs,
        "active_tab": tab,
        "can_edit": can(request.actor, Perm.PATIENT_EDIT, center_id=patient.center_id),
        "can_edit_allergies": can(request.actor, Perm.ALLERGY_EDIT, center_id=patient.center_id),
        "can_edit_care_team": can(request.actor, Perm.CARE_TEAM_EDIT, center_id=patient.center_id),
        **extra,
    }


@staff_view(Perm.PATIENT_VIEW, action=AuditAction.PATIENT_CHART_VIEWED)
def patient_chart_view(request: StaffRequest, patient_id: UUID) -> HttpResponse:
    patient = patient_chart_get(actor=request.actor, perm=Perm.PATIENT_VIEW, patient_id=patient_id)
    context = chart_context(request, patient, "summary", allergy_form=AllergyForm(), alert_form=PatientAlertForm())
    return render(request, "patients/chart_summary.html", context)


@staff_view(Perm.PATIENT_EDIT, action=AuditAction.PATIENT_EDITED)
def patient_edit_view(request: StaffRequest, patient_id: UUID) -> HttpResponse:
    patient = patient_get(actor=request.actor, patient_id=patient_id, perm=Perm.PATIENT_EDIT)
    form = PatientForm(request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        # The form has written its values onto ``patient``; the service reloads it under a lock.
        with form_errors_from(form):
            patient_update(actor=request.actor, patient=patient, fields=form.cleaned_data)
            messages.success(request, _("Patient details saved."))
            return redirect(patient)
    return render(request, "patients/patient_form.html", {"form": form, "center": patient.center, "patient": patient})


@staff_view(Perm.PATIENT_VIEW, action=AuditAction.PATIENT_CARE_TEAM_VIEWED)
def care_team_view(request: StaffRequest, patient_id: UUID) -> HttpResponse:
    patient = patient_chart_get(actor=request.actor, perm=Perm.PATIENT_VIEW, patient_id=patient_id)
    return render(
        request,
        "patients/chart_care_team.html",
        chart_context(request, patient, "care_team", form=CareTeamMemberForm()),
    )


@staff_view(Perm.CARE_TEAM_EDIT, action=AuditAction.CARE_TEAM_MEMBER_ADDED)
@require_POST
def care_team_add_view(request: StaffRequest, patient_id: UUID) -> HttpResponse:
    patient = patient_get(actor=request.actor, perm=Perm.CARE_TEAM_EDIT, patient_id=patient_id)
    form = CareTeamMemberForm(request.POST)
    if form.is_valid():
        with form_errors_from(form):
            care_team_member_add(actor=request.actor, patient=patient, fields=form.cleaned_data)
            messages.success(request, _("Care team member added."))
            return redirect("patients:care_team", patient_id=patient.external_id)
    patient = patient_chart_get(actor=request.actor, perm=Perm.CARE_TEAM_EDIT, patient_id=patient_id)
    return render(
        request, "patients/chart_care_team.html", chart_context(request, patient, "care_team", form=form), status=422
    )


@staff_view(Perm.CARE_TEAM_EDIT, action=AuditAction.CARE_TEAM_MEMBER_EDITED)
def care_team_edit_view(request: StaffRequest, patient_id: UUID, member_id: UUID) -> HttpResponse:
    patient = patient_get(actor=request.actor, perm=Perm.CARE_TEAM_EDIT, patient_id=patient_id)
    member = care_team_member_get(actor=request.actor, patient=patient, member_id=member_id)
    form = CareTeamMemberForm(request.POST or None, instance=member)
    error_form = ReasonForm()
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            care_team_member_update(actor=request.actor, member=member, fields=form.cleaned_data)
            messages.success(request, _("Care team member saved."))
            return redirect("patients:care_team", patient_id=patient.external_id)
    context = {"patient": patient, "member": member, "form": form, "error_form": error_form}
    return render(request, "patients/care_team_member_form.html", context)


@staff_view(Perm.CARE_TEAM_EDIT, action=AuditAction.CARE_TEAM_MEMBER_ENTERED_IN_ERROR)
@require_POST
def care_team_error_view(request: StaffRequest, patient_id: UUID, member_id: UUID) -> HttpResponse:
    patient = patient_get(actor=request.actor, perm=Perm.CARE_TEAM_EDIT, patient_id=patient_id)
    member = care_team_member_get(actor=request.actor, patient=patient, member_id=member_id)
    form = ReasonForm(request.POST)
    if form.is_valid():
        with form_errors_from(form):
            care_team_member_mark_entered_in_error(
                actor=request.actor, member=member, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Care team entry marked as entered in error."))
            return redirect("patients:care_team", patient_id=patient.external_id)
    context = {"patient": patient, "member": member, "form": CareTeamMemberForm(instance=member), "error_form": form}
    return render(request, "patients/care_team_member_form.html", context, status=422)


@staff_view(Perm.ALLERGY_EDIT, action=AuditAction.ALLERGY_RECORDED)
@require_POST
def allergy_add_view(request: StaffRequest, patient_id: UUID) -> HttpResponse:
    patient = patient_get(actor=request.actor, perm=Perm.ALLERGY_EDIT, patient_id=patient_id)
    form = AllergyForm(request.POST)
    if form.is_valid():
        with form_errors_from(form):
            allergy_record(actor=request.actor, patient=patient, **form.cleaned_data)
            messages.success(request, _("Allergy recorded."))
            return redirect(patient)
    patient = patient_chart_get(actor=request.actor, perm=Perm.ALLERGY_EDIT, patient_id=patient_id)
    context = chart_context(request, patient, "summary", allergy_form=form, alert_form=PatientAlertForm())
    return render(request, "patients/chart_summary.html", context, status=422)


@staff_view(Perm.ALLERGY_EDIT, action=AuditAction.ALLERGY_ENTERED_IN_ERROR)
@require_POST
def allergy_error_view(request: StaffRequest, patient_id: UUID, allergy_id: UUID) -> HttpResponse:
    patient = patient_get(actor=request.actor, perm=Perm.ALLERGY_EDIT, patient_id=patient_id)
    allergy = allergy_get(actor=request.actor, patient=patient, allergy_id=allergy_id)
    form = ReasonForm(request.POST)
    if form.is_valid():
        allergy_mark_entered_in_error(actor=request.actor, allergy=allergy, reason=form.cleaned_data["reason"])
        messages.success(request, _("Allergy marked as entered in error."))
    else:
        messages.error(request, _("Say why the allergy entry was wrong."))
    return redirect(patient)


@staff_view(Perm.PATIENT_EDIT, action=AuditAction.PATIENT_ALERT_RAISED)
@require_POST
def alert_raise_view(request: StaffRequest, patient_id: UUID) -> HttpResponse:
    patient = patient_get(actor=request.actor, patient_id=patient_id, perm=Perm.PATIENT_EDIT)
    form = PatientAlertForm(request.POST)
    if form.is_valid():
        with form_errors_from(form):
            patient_alert_raise(actor=request.actor, patient=patient, **form.cleaned_data)
            messages.success(request, _("Alert added to the banner."))
            return redirect(patient)
    patient = patient_chart_get(actor=request.actor, perm=Perm.PATIENT_EDIT, patient_id=patient_id)
    context = chart_context(request, patient, "summary", allergy_form=AllergyForm(), alert_form=form)
    return render(request, "patients/chart_summary.html", context, status=422)


@staff_view(Perm.PATIENT_EDIT, action=AuditAction.PATIENT_ALERT_RESOLVED)
@require_POST
def alert_resolve_view(request: StaffRequest, patient_id: UUID, alert_id: UUID) -> HttpResponse:
    patient = patient_chart_get(actor=request.actor, perm=Perm.PATIENT_EDIT, patient_id=patient_id)
    alert = next((a for a in patient.open_alerts if str(a.external_id) == str(alert_id)), None)  # type: ignore[attr-defined]
    form = ResolutionForm(request.POST)
    if alert is None:
        messages.error(request, _("That alert is no longer open."))
    elif form.is_valid():
        patient_alert_resolve(actor=request.actor, alert=alert, resolution=form.cleaned_data["resolution"])
        messages.success(request, _("Alert resolved."))
    else:
        messages.error(request, _("Say how the alert was resolved."))
    return redirect(patient)


@staff_view(Perm.RECORD_HISTORY_VIEW, action=AuditAction.PATIENT_HISTORY_VIEWED)
def history_view(request: StaffRequest, patient_id: UUID) -> HttpResponse:
    patient = patient_chart_get(actor=request.actor, perm=Perm.RECORD_HISTORY_VIEW, patient_id=patient_id)
    require(request.actor, Perm.RECORD_HISTORY_VIEW, center_id=patient.center_id)
    page = Paginator(record_history_list(actor=request.actor, patient=patient), 50).get_page(request.GET.get("page"))
    return render(request, "patients/chart_history.html", chart_context(request, patient, "history", page=page))


@staff_view(Perm.EMERGENCY_ACCESS, action=AuditAction.PATIENT_EMERGENCY_ACCESS_REQUESTED)
def emergency_access_view(request: StaffRequest) -> HttpResponse:
    form = EmergencyAccessForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            patient = patient_find_for_emergency(
                actor=request.actor, mrn=form.cleaned_data["mrn"], date_of_birth=form.cleaned_data["date_of_birth"]
            )
            emergency_access_grant(actor=request.actor, patient=patient, reason=form.cleaned_data["reason"])
            messages.warning(request, _("Emergency access granted. It is recorded and will be reviewed."))
            return redirect(patient)
    return render(request, "patients/emergency_access.html", {"form": form})


@staff_view(Perm.VITALS_RECORD, action=AuditAction.PREGNANCY_TESTS_VIEWED)
def pregnancy_tests_view(request: StaffRequest, patient_id: UUID) -> HttpResponse:
    """The patient's pregnancy tests, and a form to record one; the checklist reads the newest."""
    patient = patient_get(actor=request.actor, patient_id=patient_id, perm=Perm.VITALS_RECORD)
    form = PregnancyTestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            pregnancy_test_record(actor=request.actor, patient=patient, **form.cleaned_data)
            messages.success(request, _("Pregnancy test recorded."))
            return redirect("patients:pregnancy_tests", patient_id=patient.external_id)
    context = {"patient": patient, "form": form, "tests": pregnancy_tests_for(actor=request.actor, patient=patient)}
    return render(request, "patients/pregnancy_tests.html", context, status=422 if form.errors else 200)
