"""Every write of intake: public consultation requests and what front desk does with them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import EntryFacts, audit_change_record, audit_event_record, changes_between, snapshot
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.authorization import require
from ketaclinic.clinics.models import TreatmentCenter
from ketaclinic.core.errors import Conflict, RuleViolation
from ketaclinic.core.permissions import Perm
from ketaclinic.intake.models import ConsultationRequest
from ketaclinic.patients.models import Patient
from ketaclinic.patients.services.registration import patient_create
from ketaclinic.validation import validated

REQUEST_FIELDS = (
    "given_name", "family_name", "date_of_birth", "phone", "email", "contact_by", "preferred_language",
    "reason", "heard_about", "referring_clinician", "has_consent_to_contact",
)  # fmt: skip
FORM_SALT = "ketaclinic.intake.form"
FORM_MAX_AGE_SECONDS = 2 * 60 * 60


def inquiry_form_token() -> str:
    """A signed time stamp put in the public form, checked when it comes back."""
    return signing.TimestampSigner(salt=FORM_SALT).sign(str(int(timezone.now().timestamp())))


def _check_form_token(token: str) -> None:
    signer = signing.TimestampSigner(salt=FORM_SALT)
    try:
        issued = int(signer.unsign(token, max_age=FORM_MAX_AGE_SECONDS))
    except (signing.BadSignature, ValueError):
        raise RuleViolation(_("The form expired. Please fill it in again."), code="form_expired") from None
    if timezone.now().timestamp() - issued < settings.KETACLINIC_INQUIRY_MIN_SECONDS:
        raise RuleViolation(_("Please take a moment to check your answers, then send."), code="too_fast")


@transaction.atomic
def consultation_request_submit(
    *, center: TreatmentCenter, fields: Mapping[str, Any], form_token: str, honeypot: str, ip: str | None
) -> ConsultationRequest:
    """Take a request from the public form; bots and floods are refused before anything is kept."""
    if honeypot.strip():
        raise RuleViolation(_("The request could not be sent."), code="honeypot")
    _check_form_token(form_token)
    now = timezone.now()
    if ip and (
        ConsultationRequest.objects.filter(ip=ip, received_at__gte=now - dt.timedelta(hours=1)).count()
        >= settings.KETACLINIC_INQUIRIES_PER_HOUR
    ):
        raise RuleViolation(_("Too many requests from this address. Please call the center."), code="rate_limited")
    values = {name: fields[name] for name in REQUEST_FIELDS if name in fields}
    if not values.get("has_consent_to_contact"):
        raise RuleViolation(
            _("We need your permission to contact you."), code="consent_required", field="has_consent_to_contact"
        )
    if not (values.get("phone") or values.get("email")):
        raise RuleViolation(_("Give a phone number or an email address."), code="contact_required", field="phone")
    inquiry = ConsultationRequest(center=center, received_at=now, ip=ip, **values)
    validated(inquiry)
    inquiry.save()
    audit_event_record(
        EntryFacts(
            kind="change",
            action=AuditAction.CONSULTATION_REQUEST_RECEIVED,
            actor=None,
            actor_label="public consultation form",
            center_id=center.pk,
            object_type="intake.consultationrequest",
            object_id=str(inquiry.external_id),
            changes={"reason_length": len(inquiry.reason)},
        )
    )
    return inquiry


def _locked(inquiry: ConsultationRequest) -> ConsultationRequest:
    return ConsultationRequest.objects.select_for_update().select_related("center").get(pk=inquiry.pk)


def _record(actor: Actor, inquiry: ConsultationRequest, action: AuditAction, before: dict[str, Any]) -> None:
    audit_change_record(
        actor=actor, instance=inquiry, action=action, changes=changes_between(before, snapshot(inquiry))
    )


@transaction.atomic
def consultation_request_update(
    *, actor: Actor, inquiry: ConsultationRequest, status: str, note: str
) -> ConsultationRequest:
    require(actor, Perm.INTAKE_MANAGE, center_id=inquiry.center_id)
    inquiry = _locked(inquiry)
    if status == ConsultationRequest.Status.BOOKED and inquiry.consultation_at is None:
        raise RuleViolation(_("Book the consultation to mark it booked."), code="not_booked", field="status")
    before = snapshot(inquiry)
    inquiry.status, inquiry.staff_note, inquiry.handled_by = status, note.strip(), actor.user
    validated(inquiry)
    inquiry.save()
    _record(actor, inquiry, AuditAction.CONSULTATION_REQUEST_UPDATED, before)
    return inquiry


@transaction.atomic
def consultation_request_register(*, actor: Actor, inquiry: ConsultationRequest, fields: Mapping[str, Any]) -> Patient:
    """Turn the inquiry into a registered patient, carrying over what the person told us."""
    require(actor, Perm.INTAKE_MANAGE, center_id=inquiry.center_id)
    inquiry = _locked(inquiry)
    if inquiry.patient_id is not None:
        raise Conflict(_("This request already has a patient record."), code="already_registered")
    carried = {
        "given_name": inquiry.given_name,
        "family_name": inquiry.family_name,
        "date_of_birth": inquiry.date_of_birth,
        "phone": inquiry.phone,
        "email": inquiry.email,
        "preferred_language": inquiry.preferred_language,
    }
    patient = patient_create(actor=actor, center=inquiry.center, fields={**carried, **fields})
    before = snapshot(inquiry)
    inquiry.patient, inquiry.handled_by = patient, actor.user
    if inquiry.status == ConsultationRequest.Status.NEW:
        inquiry.status = ConsultationRequest.Status.CONTACTED
    inquiry.save()
    _record(actor, inquiry, AuditAction.CONSULTATION_REQUEST_REGISTERED, before)
    return patient


@transaction.atomic
def consultation_request_book(
    *, actor: Actor, inquiry: ConsultationRequest, consultation_at: dt.datetime, clinician: Any
) -> ConsultationRequest:
    require(actor, Perm.INTAKE_MANAGE, center_id=inquiry.center_id)
    inquiry = _locked(inquiry)
    if inquiry.patient_id is None:
        raise RuleViolation(_("Register the patient before booking."), code="not_registered")
    if consultation_at <= timezone.now():
        raise RuleViolation(_("Choose a time in the future."), code="booking_in_past", field="consultation_at")
    booked_with = Actor.of(clinician) if clinician is not None else None
    if booked_with is None or not (
        booked_with.can(Perm.PATIENT_VIEW, center_id=inquiry.center_id)
        and booked_with.can(Perm.RISK_ALERT_ACKNOWLEDGE, center_id=inquiry.center_id)
    ):
        raise RuleViolation(_("Choose a clinician of this center."), code="not_a_clinician", field="clinician")
    before = snapshot(inquiry)
    inquiry.consultation_at, inquiry.consultation_with = consultation_at, clinician
    inquiry.status, inquiry.handled_by = ConsultationRequest.Status.BOOKED, actor.user
    inquiry.save()
    _record(actor, inquiry, AuditAction.CONSULTATION_REQUEST_BOOKED, before)
    return inquiry
