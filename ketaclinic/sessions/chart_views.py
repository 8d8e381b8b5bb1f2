"""Chair-side actions on the flowsheet: the dose, its events, interventions, discharge and the note.

Each action is a POST that goes back to the flowsheet with a message; a refused step says why
and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ketaclinic.accounts.signatures import SIGNATURE_REFUSALS
from ketaclinic.audit.access import staff_view
from ketaclinic.audit.actions import AuditAction
from ketaclinic.clinics.actors import StaffRequest
from ketaclinic.core.errors import Conflict, Forbidden, NotFound, RuleViolation
from ketaclinic.core.permissions import Perm
from ketaclinic.pharmacy.models import DrugLot
from ketaclinic.pharmacy.selectors import drug_lots_for_route
from ketaclinic.sessions.forms import (
    AmendmentForm,
    DischargeForm,
    DosePrepareForm,
    DoseStepForm,
    InterventionForm,
    NoteForm,
    NoteSignForm,
    SignWithPasswordForm,
    WasteForm,
    WithdrawForm,
)
from ketaclinic.sessions.models import DoseAdministration, TreatmentSession
from ketaclinic.sessions.selectors.center import center_nurses, center_prescribers
from ketaclinic.sessions.selectors.flowsheet import Flowsheet, flowsheet_get
from ketaclinic.sessions.services import alerts, discharge, notes
from ketaclinic.sessions.services import dose as administration


def _back(sheet: Flowsheet, anchor: str = "") -> HttpResponse:
    response = redirect("sessions:flowsheet", session_id=sheet.session.external_id)
    response["Location"] += anchor
    return response


def _act(request: HttpRequest, sheet: Flowsheet, form: Form, action: Callable[[], str], anchor: str) -> HttpResponse:
    """Run one chair-side action from a bound form; report success or the reason it was refused."""
    if not form.is_valid():
        problems = [
            f"{form.fields[name].label}: {' '.join(map(str, errs))}"
            if name in form.fields
            else " ".join(map(str, errs))
            for name, errs in form.errors.items()
        ]
        messages.error(request, " ".join(problems))
        return _back(sheet, anchor)
    try:
        messages.success(request, action())
    except (RuleViolation, Conflict) as error:
        messages.error(request, str(error))
    except Forbidden as error:
        if error.code not in SIGNATURE_REFUSALS:
            raise
        messages.error(request, str(error))
    return _back(sheet, anchor)


def _dose(sheet: Flowsheet) -> DoseAdministration:
    if sheet.dose is None:
        raise NotFound(_("No dose has been prepared for this session."), code="dose_not_found")
    return sheet.dose


def charted_at(session: TreatmentSession, time: dt.time | None) -> dt.datetime | None:
    """The moment a clock time typed on the flowsheet means: its latest past reading at the center."""
    if time is None:
        return None
    moment = session.patient.center.latest_at(time)
    if moment is None:
        raise RuleViolation(
            _("The clocks skipped %(t)s that night; check the time.") % {"t": time}, code="no_such_time"
        )
    return moment


def weight_based(session: TreatmentSession) -> bool:
    return session.plan.route in ("iv", "im")


def dose_lots(session: TreatmentSession) -> QuerySet[DrugLot]:
    return drug_lots_for_route(center=session.patient.center, route=session.plan.route)


@staff_view(Perm.DOSE_PREPARE, action=AuditAction.DOSE_PREPARED)
@require_POST
def dose_prepare_view(request: StaffRequest, session_id: UUID) -> HttpResponse:
    sheet = flowsheet_get(actor=request.actor, perm=Perm.DOSE_PREPARE, session_id=session_id)
    form = DosePrepareForm(request.POST, weight_based=weight_based(sheet.session), lots=dose_lots(sheet.session))

    def prepare() -> str:
        dose = administration.dose_prepare(actor=request.actor, session=sheet.session, **form.cleaned_data)
        capped = _(" The protocol cap applied.") if dose.capped else ""
        return _("Dose %(mg)s mg prepared; a second clinician must verify it.") % {"mg": dose.dose_mg} + capped

    return _act(request, sheet, form, prepare, "#dose")


@staff_view(Perm.DOSE_VERIFY, action=AuditAction.DOSE_VERIFIED)
@require_POST
def dose_verify_view(request: StaffRequest, session_id: UUID) -> HttpResponse:
    sheet = flowsheet_get(actor=request.actor, perm=Perm.DOSE_VERIFY, session_id=session_id)
    form = SignWithPasswordForm(request.POST)

    def verify() -> str:
        administration.dose_verify(actor=request.actor, dose=_dose(sheet), password=form.cleaned_data["password"])
        return _("Dose verified.")

    return _act(request, sheet, form, verify, "#dose")


@staff_view(Perm.SESSION_CHART, action=AuditAction.DOSE_STEP)
@require_POST
def dose_step_view(request: StaffRequest, session_id: UUID) -> HttpResponse:
    sheet = flowsheet_get(actor=request.actor, perm=Perm.SESSION_CHART, session_id=session_id)
    form = DoseStepForm(request.POST)

    def step() -> str:
        dose, name = _dose(sheet), form.cleaned_data["step"]
        if name == "start":
            administration.dose_start(actor=request.actor, dose=dose)
        elif name == "device":
            event = administration.device_given(actor=request.actor, dose=dose)
            return _("Device %(n)s recorded.") % {"n": event.device_number}
        else:
            administration.dose_step(
                actor=request.actor,
                dose=dose,
                step=name,
                reason=form.cleaned_data["reason"],
                given_mg=form.cleaned_data["given_mg"],
            )
        return _("Recorded: %(step)s.") % {"step": name}

    return _act(request, sheet, form, step, "#dose")


@staff_view(Perm.SESSION_CHART, action=AuditAction.DOSE_WASTE_RECORDED)
@require_POST
def waste_view(request: StaffRequest, session_id: UUID) -> HttpResponse:
    sheet = flowsheet_get(actor=request.actor, perm=Perm.SESSION_CHART, session_id=session_id)
    form = WasteForm(request.POST, clinicians=center_nurses(center_id=sheet.session.patient.center_id))

    def waste() -> str:
        administration.waste_record(actor=request.actor, dose=_dose(sheet), **form.cleaned_data)
        return _("Waste recorded and witnessed.")

    return _act(request, sheet, form, waste, "#dose")


@staff_view(Perm.SESSION_CHART, action=AuditAction.DOSE_WITHDRAWN)
@require_POST
def dose_withdraw_view(request: StaffRequest, session_id: UUID) -> HttpResponse:
    sheet = flowsheet_get(actor=request.actor, perm=Perm.SESSION_CHART, session_id=session_id)
    form = WithdrawForm(request.POST, clinicians=center_nurses(center_id=sheet.session.patient.center_id))

    def withdraw() -> str:
        administration.dose_withdraw(actor=request.actor, dose=_dose(sheet), **form.cleaned_data)
        return _("Dose withdrawn and its drug wasted before the witness; prepare the dose again.")

    return _act(request, sheet, form, withdraw, "#dose")


@staff_view(Perm.SESSION_CHART, action=AuditAction.SESSION_EVENT_INTERVENTION)
@require_POST
def intervention_view(request: StaffRequest, session_id: UUID) -> HttpResponse:
    sheet = flowsheet_get(actor=request.actor, perm=Perm.SESSION_CHART, session_id=session_id)
    form = InterventionForm(request.POST, prescribers=center_prescribers(center_id=sheet.session.patient.center_id))

    def intervene() -> str:
        values = dict(form.cleaned_data)
        at = charted_at(sheet.session, values.pop("given_at"))
        administration.intervention_record(actor=request.actor, session=sheet.session, at=at, **values)
        return _("Intervention recorded.")

    return _act(request, sheet, form, intervene, "#events")


@staff_view(Perm.SESSION_CHART, action=AuditAction.DISCHARGE_ASSESSED)
@require_POST
def discharge_view(request: StaffRequest, session_id: UUID) -> HttpResponse:
    sheet = flowsheet_get(actor=request.actor, perm=Perm.SESSION_CHART, session_id=session_id)
    form = DischargeForm(request.POST)

    def assess() -> str:
        values = dict(form.cleaned_data)
        escort = values.pop("escort_name")
        done = discharge.discharge_assess(
            actor=request.actor, session=sheet.session, confirmed=values, escort_name=escort
        )
        if done.discharged:
            return _("All discharge criteria met: the session is complete.")
        open_items = "; ".join(discharge.discharge_open_criteria(done))
        raise _NotReady(_("Not ready to leave: %(open)s.") % {"open": open_items}, code="not_ready")

    return _act(request, sheet, form, assess, "#discharge")


class _NotReady(RuleViolation):
    """The discharge check is recorded, and it says what is still open."""


@staff_view(Perm.SESSION_CHART, action=AuditAction.SESSION_NOTE_WRITTEN)
@require_POST
def note_view(request: StaffRequest, session_id: UUID) -> HttpResponse:
    """Draft the note from the record (``redraft``), or save the nurse's edit of the draft."""
    sheet = flowsheet_get(actor=request.actor, perm=Perm.SESSION_CHART, session_id=session_id)
    if "redraft" in request.POST or sheet.note is None:

        def draft() -> str:
            notes.session_note_draft(actor=request.actor, session=sheet.session)
            return _("Note drafted from the record; read and edit it before signing.")

        return _act(request, sheet, Form({}), draft, "#note")
    form = NoteForm(request.POST)
    note = sheet.note

    def edit() -> str:
        notes.session_note_edit(actor=request.actor, note=note, text=form.cleaned_data["text"])
        return _("Note saved.")

    return _act(request, sheet, form, edit, "#note")


@staff_view(Perm.SESSION_NOTE_SIGN, action=AuditAction.SESSION_NOTE_SIGNED)
@require_POST
def note_sign_view(request: StaffRequest, session_id: UUID) -> HttpResponse:
    """Sign the note as it stands in the signer's text box (saved and signed together)."""
    sheet = flowsheet_get(actor=request.actor, perm=Perm.SESSION_NOTE_SIGN, session_id=session_id)
    form = NoteSignForm(request.POST)

    def sign() -> str:
        if sheet.note is None:
            raise NotFound(_("Draft the note first."), code="note_not_found")
        # The edit is kept even if the password is refused, so nothing typed is lost.
        if form.cleaned_data["text"].strip() != sheet.note.text:
            notes.session_note_edit(actor=request.actor, note=sheet.note, text=form.cleaned_data["text"])
        notes.session_note_sign(actor=request.actor, note=sheet.note, **form.cleaned_data)
        return _("Note signed and locked; later changes are amendments.")

    return _act(request, sheet, form, sign, "#note")


@staff_view(Perm.SESSION_NOTE_SIGN, action=AuditAction.SESSION_NOTE_AMENDED)
@require_POST
def note_amend_view(request: StaffRequest, session_id: UUID) -> HttpResponse:
    sheet = flowsheet_get(actor=request.actor, perm=Perm.SESSION_NOTE_SIGN, session_id=session_id)
    form = AmendmentForm(request.POST)

    def amend() -> str:
        if sheet.note is None:
            raise NotFound(_("There is no note to amend."), code="note_not_found")
        notes.session_note_amend(actor=request.actor, note=sheet.note, **form.cleaned_data)
        return _("Amendment signed.")

    return _act(request, sheet, form, amend, "#note")


@staff_view(Perm.VITALS_RECORD, action=AuditAction.VITAL_SIGN_ALERT_ACKNOWLEDGED)
@require_POST
def alert_acknowledge_view(request: StaffRequest, session_id: UUID, reading_id: UUID, position: int) -> HttpResponse:
    """A nurse acknowledges an open threshold alert from the flowsheet's list."""
    sheet = flowsheet_get(actor=request.actor, perm=Perm.VITALS_RECORD, session_id=session_id)
    reading = next((r for r in sheet.readings if r.external_id == reading_id), None)
    if reading is None:
        raise NotFound(_("That reading is not on this flowsheet."), code="reading_not_found")

    def acknowledge() -> str:
        alerts.vital_sign_alert_acknowledge(actor=request.actor, sign=reading, position=position)
        return _("Alert acknowledged; it stays on the flowsheet until a reading resolves it.")

    return _act(request, sheet, Form(request.POST), acknowledge, "#readings")


def chart_forms(sheet: Flowsheet) -> dict[str, Any]:
    """Unbound forms for the flowsheet page's chair-side actions; each with its own ids, as they share a page."""
    center_id = sheet.session.patient.center_id
    return {
        "dose_form": DosePrepareForm(
            weight_based=weight_based(sheet.session), lots=dose_lots(sheet.session), auto_id="dose_%s"
        ),
        "verify_form": SignWithPasswordForm(auto_id="verify_%s"),
        "waste_form": WasteForm(clinicians=center_nurses(center_id=center_id), auto_id="waste_%s"),
        "withdraw_form": WithdrawForm(clinicians=center_nurses(center_id=center_id), auto_id="withdraw_%s"),
        "intervention_form": InterventionForm(
            prescribers=center_prescribers(center_id=center_id), auto_id="intervention_%s"
        ),
        "discharge_form": DischargeForm(auto_id="discharge_%s"),
        "note_form": NoteForm(initial={"text": sheet.note.text}, auto_id="note_%s") if sheet.note else None,
        "amendment_form": AmendmentForm(auto_id="amend_%s"),
    }
