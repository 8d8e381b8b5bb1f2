"""Pages of the esketamine REMS monitoring form: fill, sign, print, record submissions; the queue."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ketaclinic.accounts.signatures import SIGNATURE_REFUSALS
from ketaclinic.audit.access import staff_view
from ketaclinic.audit.actions import AuditAction
from ketaclinic.clinics.actors import StaffRequest
from ketaclinic.clinics.authorization import can
from ketaclinic.clinics.selectors import active_center_get
from ketaclinic.core.errors import Forbidden, NotFound, RuleViolation
from ketaclinic.core.permissions import Perm
from ketaclinic.http_errors import form_errors_from
from ketaclinic.sessions.models import RemsMonitoringForm, TreatmentSession
from ketaclinic.sessions.rems_forms import RemsSignForm, RemsSubmissionForm, RemsValuesForm
from ketaclinic.sessions.selectors.rems import (
    form_definition,
    is_esketamine,
    rems_form_for_session,
    rems_form_preview,
    rems_form_rows,
    rems_queue,
    rems_submissions,
)
from ketaclinic.sessions.selectors.session import session_get
from ketaclinic.sessions.services.rems import (
    RemsFormInvalid,
    rems_form_open,
    rems_form_refill,
    rems_form_save,
    rems_form_sign,
    rems_form_submit,
)


def _esketamine_session(request: StaffRequest, perm: Perm, session_id: UUID) -> TreatmentSession:
    session = session_get(actor=request.actor, perm=perm, session_id=session_id)
    if not is_esketamine(session):
        raise RuleViolation(_("The REMS monitoring form is for esketamine sessions only."), code="rems_not_esketamine")
    return session


def _act(
    request: StaffRequest,
    session: TreatmentSession,
    form: RemsMonitoringForm | None,
    values_form: RemsValuesForm,
    sign_form: RemsSignForm,
) -> bool:
    """Save, refill or sign as the button asked; True when done, False when the page re-renders with errors."""
    action = request.POST.get("action", "save")
    with form_errors_from(values_form):
        try:
            if form is None:
                form = rems_form_open(actor=request.actor, session=session)
            if action == "refill":
                rems_form_refill(actor=request.actor, form=form)
                messages.success(request, _("Filled again from the flowsheet; your own entries were kept."))
                return True
            form = rems_form_save(actor=request.actor, form=form, values=values_form.values())
            if action == "sign":
                rems_form_sign(actor=request.actor, form=form, password=sign_form.data.get("password", ""))
                messages.success(request, _("Form signed and locked; the PDF copy is stored."))
            else:
                messages.success(request, _("Draft saved."))
            return True
        except RemsFormInvalid as invalid:
            for key, message in invalid.errors.items():
                values_form.add_error(key if key in values_form.fields else None, message)
        except Forbidden as refused:
            if refused.code not in SIGNATURE_REFUSALS:
                raise
            sign_form.add_error("password", refused.message)
    return False


@staff_view(Perm.SESSION_VIEW, action=AuditAction.REMS_FORM_VIEWED)
def rems_form_view(request: StaffRequest, session_id: UUID) -> HttpResponse:
    session = _esketamine_session(request, Perm.SESSION_VIEW, session_id)
    form = rems_form_for_session(session=session)
    if form is None:
        preview = rems_form_preview(session=session)
        definition, values, prefilled, due_on = preview.definition, preview.values, preview.prefilled, preview.due_on
    else:
        definition, values, prefilled, due_on = form_definition(form), form.values, form.prefilled, form.due_on
    is_draft = form is None or form.status == RemsMonitoringForm.Status.DRAFT
    center_id = session.patient.center_id
    can_sign = is_draft and can(request.actor, Perm.REMS_FORM_SIGN, center_id=center_id)
    posted = request.POST if request.method == "POST" and can_sign else None
    values_form = RemsValuesForm(posted, definition=definition, initial=values)
    sign_form = RemsSignForm(posted)
    if posted is not None and values_form.is_valid() and _act(request, session, form, values_form, sign_form):
        return redirect("sessions:rems_form", session_id=session.external_id)
    if request.method == "POST" and not can_sign:
        raise Forbidden(_("Your role does not allow this, or the form is already signed."), code="rems_not_editable")
    sections = rems_form_rows(definition, values, prefilled)
    context: dict[str, Any] = {
        "session": session,
        "form": form,
        "definition": definition,
        "due_on": due_on,
        "days_left": (due_on - session.patient.center.local_date()).days,
        "sections": [(section, [(row, values_form[row.field.key]) for row in rows]) for section, rows in sections],
        "missing": [row for _section, rows in sections for row in rows if row.is_missing],
        "prefilled_count": len(prefilled),
        "values_form": values_form,
        "sign_form": sign_form,
        "can_sign": can_sign,
        "can_submit": form is not None
        and form.status != RemsMonitoringForm.Status.DRAFT
        and can(request.actor, Perm.REMS_FORM_SUBMIT, center_id=center_id),
        "submission_form": RemsSubmissionForm(
            initial={"submitted_at": timezone.localtime().replace(second=0, microsecond=0)}
        ),
        "submissions": rems_submissions(form=form) if form is not None else [],
    }
    status = 422 if values_form.errors or sign_form.errors else 200
    return render(request, "sessions/rems_form.html", context, status=status)


@staff_view(Perm.SESSION_VIEW, action=AuditAction.REMS_FORM_PDF_VIEWED)
def rems_form_pdf_view(request: StaffRequest, session_id: UUID) -> HttpResponseBase:
    session = _esketamine_session(request, Perm.SESSION_VIEW, session_id)
    form = rems_form_for_session(session=session)
    if form is None or not form.pdf:
        messages.info(request, _("The PDF copy is made when the form is signed."))
        return redirect("sessions:rems_form", session_id=session.external_id)
    filename = f"rems-monitoring-{session.patient.mrn}-{session.starts_at:%Y%m%d}.pdf"
    return FileResponse(form.pdf.open("rb"), content_type="application/pdf", filename=filename)


@staff_view(Perm.REMS_FORM_SUBMIT, action=AuditAction.REMS_FORM_SUBMISSION_RECORDED)
@require_POST
def rems_form_submit_view(request: StaffRequest, session_id: UUID) -> HttpResponse:
    session = _esketamine_session(request, Perm.REMS_FORM_SUBMIT, session_id)
    form = rems_form_for_session(session=session)
    if form is None:
        raise NotFound(_("Open and sign the form first."), code="rems_form_missing")
    submission_form = RemsSubmissionForm(request.POST)
    if submission_form.is_valid():
        data = submission_form.cleaned_data
        with form_errors_from(submission_form):
            rems_form_submit(
                actor=request.actor,
                form=form,
                method=data["method"],
                confirmation=data["confirmation"],
                submitted_at=data["submitted_at"],
            )
            messages.success(request, _("Submission recorded."))
            return redirect("sessions:rems_form", session_id=session.external_id)
    errors = [str(error) for errors in submission_form.errors.values() for error in errors]
    messages.error(request, " ".join(errors))
    return redirect("sessions:rems_form", session_id=session.external_id)


@staff_view(Perm.SESSION_VIEW, action=AuditAction.REMS_QUEUE_VIEWED)
def rems_queue_view(request: StaffRequest) -> HttpResponse:
    center = active_center_get(actor=request.actor, session=request.session)
    if center is None:
        raise NotFound(_("Choose a center first."), code="no_center")
    lines = rems_queue(actor=request.actor, center_id=center.pk)
    return render(request, "sessions/rems_queue.html", {"lines": lines})
