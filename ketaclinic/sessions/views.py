from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ketaclinic.audit.access import staff_view
from ketaclinic.audit.actions import AuditAction
from ketaclinic.clinics.actors import StaffRequest
from ketaclinic.clinics.authorization import can
from ketaclinic.clinics.selectors import active_center_get
from ketaclinic.core.discharge import DISCHARGE_RULES
from ketaclinic.core.errors import NotFound, RuleViolation
from ketaclinic.core.monitoring import THRESHOLDS
from ketaclinic.core.permissions import Perm
from ketaclinic.http_errors import form_errors_from
from ketaclinic.patients.models import Patient
from ketaclinic.patients.selectors.patients import patient_chart_get
from ketaclinic.patients.views import chart_context
from ketaclinic.sessions.chart_views import chart_forms, charted_at
from ketaclinic.sessions.forms import ChecklistForm, OverrideForm, SeriesBookingForm, SessionCloseForm, VitalSignForm
from ketaclinic.sessions.selectors.board import chair_board
from ketaclinic.sessions.selectors.calendar import CalendarBy, center_calendar
from ketaclinic.sessions.selectors.center import center_chairs, center_nurses
from ketaclinic.sessions.selectors.flowsheet import Flowsheet, flowsheet_get
from ketaclinic.sessions.selectors.session import latest_check, latest_confirmations, session_get, sessions_for_patient
from ketaclinic.sessions.services import booking
from ketaclinic.sessions.services.checklist import (
    NURSE_ITEMS,
    RECORD_ITEMS,
    open_items_no_override_passes,
    pre_session_check_record,
    pre_session_override,
    suicide_risk_review_document,
)
from ketaclinic.sessions.services.flowsheet import vital_sign_record
from ketaclinic.treatment.services import plan_current


def _calendar_context(request: StaffRequest, days: int) -> dict[str, Any]:
    """The active center's calendar from ?date= (its own today by default), by ?by=chair or staff."""
    center = active_center_get(actor=request.actor, session=request.session)
    if center is None:
        raise NotFound(_("Choose a center first."), code="no_center")
    try:
        day = dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = center.local_date()
    if not CALENDAR_YEARS[0] <= day.year <= CALENDAR_YEARS[1]:
        day = center.local_date()
    by = CalendarBy.STAFF if request.GET.get("by") == CalendarBy.STAFF else CalendarBy.CHAIR
    first = day - dt.timedelta(days=day.weekday()) if days == WEEK else day
    return {
        "rows": center_calendar(actor=request.actor, center=center, first_day=first, days=days, by=by),
        "by": by,
        "day": day,
        "dates": [first + dt.timedelta(days=n) for n in range(days)],
        "previous": first - dt.timedelta(days=days),
        "next": first + dt.timedelta(days=days),
        "today": center.local_date(),
        "now": timezone.now(),
    }


WEEK = 7
# Dates a calendar will open at; others (a mistyped year) fall back to today.
CALENDAR_YEARS = (1900, 2200)


@staff_view(Perm.SESSION_VIEW, action=AuditAction.SESSIONS_DAY_VIEWED)
def day_view(request: StaffRequest) -> HttpResponse:
    return render(request, "sessions/day.html", _calendar_context(request, days=1))


@staff_view(Perm.SESSION_VIEW, action=AuditAction.SESSIONS_WEEK_VIEWED)
def week_view(request: StaffRequest) -> HttpResponse:
    return render(request, "sessions/week.html", _calendar_context(request, days=WEEK))


@staff_view(Perm.SESSION_VIEW, action=AuditAction.SESSIONS_PATIENT_VIEWED)
def patient_sessions_view(request: StaffRequest, patient_id: UUID) -> HttpResponse:
    patient = patient_chart_get(actor=request.actor, perm=Perm.SESSION_VIEW, patient_id=patient_id)
    with timezone.override(patient.center.zone):
        return _patient_sessions_page(request, patient)


def _patient_sessions_page(request: StaffRequest, patient: Patient) -> HttpResponse:
    plan = plan_current(patient=patient)
    form = SeriesBookingForm(
        request.POST or None,
        chairs=center_chairs(center_id=patient.center_id),
        nurses=center_nurses(center_id=patient.center_id),
        initial={"count": plan.planned_sessions if plan else 1},
    )
    if request.method == "POST" and plan is not None and form.is_valid():
        with form_errors_from(form):
            booked = booking.treatment_series_book(
                actor=request.actor,
                plan=plan,
                chair=form.cleaned_data["chair"],
                nurse=form.cleaned_data["nurse"],
                first_starts_at=form.cleaned_data["first_starts_at"],
                count=form.cleaned_data["count"],
            )
            messages.success(request, _("%(count)s sessions booked.") % {"count": len(booked)})
            return redirect("sessions:patient", patient_id=patient.external_id)
    context = chart_context(
        request,
        patient,
        "sessions",
        plan=plan,
        form=form,
        sessions=sessions_for_patient(actor=request.actor, patient=patient),
        can_book=can(request.actor, Perm.SESSION_BOOK, center_id=patient.center_id),
        close_form=SessionCloseForm(),
    )
    return render(request, "sessions/patient_sessions.html", context, status=422 if form.errors else 200)


@staff_view(Perm.SESSION_BOOK, action=AuditAction.TREATMENT_SESSION_CLOSED)
@require_POST
def session_close_view(request: StaffRequest, session_id: UUID) -> HttpResponse:
    session = session_get(actor=request.actor, perm=Perm.SESSION_BOOK, session_id=session_id)
    form = SessionCloseForm(request.POST)
    if form.is_valid():
        with form_errors_from(form):
            booking.treatment_session_close(
                actor=request.actor,
                session=session,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, _("Session updated; it stays on the record."))
            return redirect("sessions:patient", patient_id=session.patient.external_id)
    messages.error(request, _("Say what happened and why."))
    return redirect("sessions:patient", patient_id=session.patient.external_id)


@staff_view(Perm.SESSION_VIEW, action=AuditAction.FLOWSHEET_VIEWED)
def flowsheet_view(request: StaffRequest, session_id: UUID) -> HttpResponse:
    sheet = flowsheet_get(actor=request.actor, perm=Perm.SESSION_VIEW, session_id=session_id)
    with timezone.override(sheet.session.patient.center.zone):
        return _flowsheet_page(request, sheet)


def _flowsheet_page(request: StaffRequest, sheet: Flowsheet) -> HttpResponse:
    form = VitalSignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            sign = vital_sign_record(
                actor=request.actor,
                session=sheet.session,
                values=form.cleaned_data,
                measured_at=charted_at(sheet.session, form.cleaned_data["taken_at"]),
            )
            if sign.alerts:
                messages.warning(request, " ".join(sign.alert_messages))
            else:
                messages.success(request, _("Readings recorded."))
            return redirect("sessions:flowsheet", session_id=sheet.session.external_id)
    check = latest_check(session=sheet.session)
    if not request.headers.get("HX-Request"):
        # The patient's day-before answer about fasting and a ride, beside the checklist.
        sheet.session.day_confirmations = latest_confirmations(session=sheet.session)  # type: ignore[attr-defined]
    context = {
        "sheet": sheet,
        "form": form,
        "check": check,
        # In the checklist's own order (PostgreSQL's jsonb keeps its keys in an order of its own).
        "check_rows": [
            (label, item, check.items[item], (check.overrides or {}).get(item))
            for item, label in (NURSE_ITEMS | RECORD_ITEMS).items()
            if item in check.items
        ]
        if check
        else [],
        "checklist_form": ChecklistForm(),
        "patient_age": sheet.session.patient.age_on(sheet.session.patient.center.local_date()),
        "can_record": can(request.actor, Perm.VITALS_RECORD, center_id=sheet.session.patient.center_id),
        "can_override": can(request.actor, Perm.PLAN_SIGN, center_id=sheet.session.patient.center_id),
        "can_prepare": can(request.actor, Perm.DOSE_PREPARE, center_id=sheet.session.patient.center_id),
        "can_verify": can(request.actor, Perm.DOSE_VERIFY, center_id=sheet.session.patient.center_id),
        "can_chart": can(request.actor, Perm.SESSION_CHART, center_id=sheet.session.patient.center_id),
        "can_sign_note": can(request.actor, Perm.SESSION_NOTE_SIGN, center_id=sheet.session.patient.center_id),
        "discharge_labels": {c.key: c.label for c in DISCHARGE_RULES.criteria},
        "recheck_minutes": THRESHOLDS.recheck_after_alert_minutes,
        **chart_forms(sheet),
    }
    if request.headers.get("HX-Request"):
        return render(request, "sessions/flowsheet.html#readings", context)
    return render(request, "sessions/flowsheet.html", context, status=422 if form.errors else 200)


@staff_view(Perm.SESSION_VIEW, action=AuditAction.CHAIR_BOARD_VIEWED)
def chair_board_view(request: StaffRequest) -> HttpResponse:
    center = active_center_get(actor=request.actor, session=request.session)
    if center is None:
        raise NotFound(_("Choose a center first."), code="no_center")
    context = {"lines": chair_board(actor=request.actor, center_id=center.pk)}
    if request.headers.get("HX-Request"):
        return render(request, "sessions/board.html#board", context)
    return render(request, "sessions/board.html", context)


@staff_view(Perm.VITALS_RECORD, action=AuditAction.PRE_SESSION_CHECK_RECORDED)
@require_POST
def checklist_view(request: StaffRequest, session_id: UUID) -> HttpResponse:
    sheet = flowsheet_get(actor=request.actor, perm=Perm.VITALS_RECORD, session_id=session_id)
    form = ChecklistForm(request.POST)
    form.is_valid()
    check = pre_session_check_record(actor=request.actor, session=sheet.session, confirmed=form.cleaned_data)
    if check.passed:
        messages.success(request, _("Checklist passed: the session may start."))
    else:
        labels = NURSE_ITEMS | RECORD_ITEMS
        fixed = [str(labels[i]) for i in open_items_no_override_passes(check)]
        text = _("Checklist has open items: %(items)s.") % {
            "items": "; ".join(str(labels[i]) for i in check.open_items)
        }
        if len(fixed) < len(check.open_items):
            text += " " + _("A prescriber may override one with a reason.")
        if fixed:
            text += " " + _("No override passes: %(items)s.") % {"items": "; ".join(fixed)}
        messages.warning(request, text)
    return redirect("sessions:flowsheet", session_id=sheet.session.external_id)


@staff_view(Perm.PLAN_SIGN, action=AuditAction.SUICIDE_RISK_REVIEW_DOCUMENTED)
@require_POST
def suicide_risk_review_view(request: StaffRequest, session_id: UUID) -> HttpResponse:
    """A prescriber documents the review of today's suicide-risk findings from the checklist."""
    sheet = flowsheet_get(actor=request.actor, perm=Perm.PLAN_SIGN, session_id=session_id)
    try:
        suicide_risk_review_document(
            actor=request.actor, session=sheet.session, action_taken=request.POST.get("action_taken", "")
        )
    except RuleViolation as refused:
        messages.error(request, str(refused.message))
    else:
        messages.success(request, _("Review documented; run the checklist again."))
    return redirect("sessions:flowsheet", session_id=sheet.session.external_id)


@staff_view(Perm.PLAN_SIGN, action=AuditAction.PRE_SESSION_CHECK_OVERRIDDEN)
@require_POST
def checklist_override_view(request: StaffRequest, session_id: UUID) -> HttpResponse:
    sheet = flowsheet_get(actor=request.actor, perm=Perm.PLAN_SIGN, session_id=session_id)
    form = OverrideForm(request.POST)
    check = latest_check(session=sheet.session)
    if form.is_valid() and check is not None:
        with form_errors_from(form):
            pre_session_override(
                actor=request.actor, check=check, item=form.cleaned_data["item"], reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Override recorded."))
            return redirect("sessions:flowsheet", session_id=sheet.session.external_id)
    messages.error(request, " ".join(str(e) for e in form.errors.values()) or _("Nothing to override."))
    return redirect("sessions:flowsheet", session_id=sheet.session.external_id)
