"""The esketamine REMS: the patient's enrollment, and the monitoring form opened, edited, signed and submitted.

What the form is filled from, and how it prints, is read in ``selectors/rems.py``. A signed form
is locked, printed to PDF with its SHA-256, and each submission to the REMS is its own row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.accounts.signatures import signature_password_check
from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import audit_change_since, snapshot
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.authorization import require
from ketaclinic.core import rems as rems_rules
from ketaclinic.core.errors import Conflict, RuleViolation
from ketaclinic.core.permissions import Perm
from ketaclinic.patients.models import Patient
from ketaclinic.printing import sha256_of
from ketaclinic.sessions.models import RemsEnrollment, RemsMonitoringForm, RemsSubmission, TreatmentSession
from ketaclinic.sessions.selectors.rems import (
    NOT_HELD,
    form_definition,
    is_esketamine,
    rems_form_content_sha256,
    rems_form_pdf_render,
    rems_form_preview,
    rems_prefill,
    session_record_read,
)
from ketaclinic.validation import validated


@transaction.atomic
def rems_enrollment_record(
    *, actor: Actor, patient: Patient, enrollment_reference: str, enrolled_on: dt.date
) -> RemsEnrollment:
    require(actor, Perm.SESSION_BOOK, center_id=patient.center_id)
    if not enrollment_reference.strip():
        raise RuleViolation(_("Give the REMS enrollment reference."), code="reference_required")
    if enrolled_on > timezone.localdate():
        raise RuleViolation(_("The enrollment date cannot be in the future."), code="enrolled_in_future")
    enrollment = RemsEnrollment(
        patient=patient,
        enrollment_reference=enrollment_reference.strip(),
        enrolled_on=enrolled_on,
        recorded_by=actor.user,
        recorded_at=timezone.now(),
    )
    validated(enrollment)
    enrollment.save()
    audit_change_since(actor=actor, instance=enrollment, action=AuditAction.REMS_ENROLLMENT_RECORDED, before={})
    return enrollment


class RemsFormInvalid(RuleViolation):
    """Values that do not fit the form; ``errors`` says why for each field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()), code="rems_value_invalid", field=next(iter(errors), None))
        self.errors = errors


def _require_esketamine(session: TreatmentSession) -> None:
    if not is_esketamine(session):
        raise RuleViolation(_("The REMS monitoring form is for esketamine sessions only."), code="rems_not_esketamine")


@transaction.atomic
def rems_form_open(*, actor: Actor, session: TreatmentSession) -> RemsMonitoringForm:
    """Create the session's draft, filled from the record; the existing one if already open."""
    require(actor, Perm.REMS_FORM_SIGN, center_id=session.patient.center_id)
    session = TreatmentSession.objects.select_for_update().select_related("plan", "patient").get(pk=session.pk)
    _require_esketamine(session)
    if session.status in NOT_HELD:
        raise RuleViolation(_("This session did not take place."), code="rems_session_not_held")
    existing = RemsMonitoringForm.objects.filter(session=session).first()
    if existing is not None:
        return existing
    preview = rems_form_preview(session=session)
    form = RemsMonitoringForm(
        session=session,
        definition_version=preview.definition.version,
        values={key: preview.values.get(key) for key in preview.definition.keys},
        prefilled=preview.prefilled,
        due_on=preview.due_on,
    )
    form.full_clean()
    form.save()
    audit_change_since(actor=actor, instance=form, action=AuditAction.REMS_FORM_OPENED, before={})
    return form


def _locked_draft(form: RemsMonitoringForm) -> RemsMonitoringForm:
    form = RemsMonitoringForm.objects.select_for_update().select_related("session__patient").get(pk=form.pk)
    if form.status != RemsMonitoringForm.Status.DRAFT:
        raise Conflict(_("The form is signed; its values are as signed."), code="rems_form_signed")
    return form


@transaction.atomic
def rems_form_save(*, actor: Actor, form: RemsMonitoringForm, values: Mapping[str, Any]) -> RemsMonitoringForm:
    """Save the nurse's values on the draft; a corrected prefill is no longer marked as from the record."""
    require(actor, Perm.REMS_FORM_SIGN, center_id=form.session.patient.center_id)
    form = _locked_draft(form)
    cleaned, errors = rems_rules.clean_values(form_definition(form), values)
    if errors:
        raise RemsFormInvalid(errors)
    before = snapshot(form)
    changed = {key for key, value in cleaned.items() if form.values.get(key) != value}
    if not changed:
        return form
    form.values = form.values | cleaned
    form.prefilled = [key for key in form.prefilled if key not in changed]
    form.save()
    audit_change_since(actor=actor, instance=form, action=AuditAction.REMS_FORM_EDITED, before=before)
    return form


@transaction.atomic
def rems_form_refill(*, actor: Actor, form: RemsMonitoringForm) -> RemsMonitoringForm:
    """Take the record's answers again (readings or a discharge came later); the nurse's own entries stay."""
    require(actor, Perm.REMS_FORM_SIGN, center_id=form.session.patient.center_id)
    form = _locked_draft(form)
    fresh = rems_prefill(form_definition(form), session_record_read(form.session))
    own = {key for key, value in form.values.items() if key not in form.prefilled and not rems_rules.is_empty(value)}
    updates = {key: value for key, value in fresh.items() if key not in own}
    before = snapshot(form)
    form.values = form.values | updates
    form.prefilled = sorted((set(form.prefilled) - own) | set(updates))
    if snapshot(form) == before:
        return form
    form.save()
    audit_change_since(actor=actor, instance=form, action=AuditAction.REMS_FORM_REFILLED, before=before)
    return form


def _refuse_if_incomplete(form: RemsMonitoringForm) -> None:
    missing = rems_rules.missing_required(form_definition(form), form.values)
    if missing:
        raise RuleViolation(
            _("The form cannot be signed while required fields are empty: %(fields)s.")
            % {"fields": "; ".join(field.label for field in missing)},
            code="rems_required_missing",
            field=missing[0].key,
        )


def rems_form_sign(*, actor: Actor, form: RemsMonitoringForm, password: str) -> RemsMonitoringForm:
    """Sign and lock the form with the signer's password; refused while a required field is empty."""
    require(actor, Perm.REMS_FORM_SIGN, center_id=form.session.patient.center_id)
    # Refuse an incomplete form before the password, so a nurse finishing the form is not locked out.
    _refuse_if_incomplete(form)
    # Checked outside the write's transaction, so a wrong password counts towards the lock.
    signature_password_check(signer=actor.user, password=password)
    return _rems_form_signed(actor=actor, form=form)


@transaction.atomic
def _rems_form_signed(*, actor: Actor, form: RemsMonitoringForm) -> RemsMonitoringForm:
    form = _locked_draft(form)
    _refuse_if_incomplete(form)
    before = snapshot(form)
    form.status, form.signed_by, form.signed_at = RemsMonitoringForm.Status.SIGNED, actor.user, timezone.now()
    form.content_sha256 = rems_form_content_sha256(form)
    pdf = rems_form_pdf_render(form)
    form.pdf_sha256 = sha256_of(pdf)
    form.pdf.save(f"rems-{form.external_id}.pdf", ContentFile(pdf), save=False)
    form.save()
    audit_change_since(actor=actor, instance=form, action=AuditAction.REMS_FORM_SIGNED, before=before)
    return form


@transaction.atomic
def rems_form_submit(
    *,
    actor: Actor,
    form: RemsMonitoringForm,
    method: str,
    confirmation: str = "",
    submitted_at: dt.datetime | None = None,
) -> RemsSubmission:
    """Record that the signed form was sent to the REMS; sending again is another row."""
    require(actor, Perm.REMS_FORM_SUBMIT, center_id=form.session.patient.center_id)
    form = RemsMonitoringForm.objects.select_for_update().select_related("session__patient").get(pk=form.pk)
    if form.status == RemsMonitoringForm.Status.DRAFT:
        raise Conflict(_("Sign the form before submitting it."), code="rems_form_not_signed")
    if method not in RemsSubmission.Method.values:
        raise RuleViolation(_("Choose how the form was sent."), code="rems_bad_method", field="method")
    now = timezone.now()
    submitted_at = submitted_at or now
    if submitted_at > now + dt.timedelta(minutes=1):
        raise RuleViolation(
            _("A submission cannot be in the future."), code="rems_submitted_in_future", field="submitted_at"
        )
    if form.signed_at is not None and submitted_at < form.signed_at:
        raise RuleViolation(
            _("A submission cannot be before the form was signed."),
            code="rems_submitted_before_signing",
            field="submitted_at",
        )
    submission = RemsSubmission(
        form=form, method=method, confirmation=confirmation.strip(), submitted_at=submitted_at, submitted_by=actor.user
    )
    submission.full_clean()
    submission.save()
    audit_change_since(actor=actor, instance=submission, action=AuditAction.REMS_FORM_SUBMITTED, before={})
    if form.status != RemsMonitoringForm.Status.SUBMITTED:
        before = snapshot(form)
        form.status = RemsMonitoringForm.Status.SUBMITTED
        form.save()
        audit_change_since(actor=actor, instance=form, action=AuditAction.REMS_FORM_STATUS_CHANGED, before=before)
    return submission
