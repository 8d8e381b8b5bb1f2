"""Informed consent: versioned documents per route published, and signatures with a PDF copy."""

from __future__ import annotations

import re

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.context import current_origin
from ketaclinic.audit.services import audit_change_record, changes_between, snapshot
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.authorization import require
from ketaclinic.core.errors import NotFound, RuleViolation
from ketaclinic.core.permissions import Perm
from ketaclinic.patients.models import ConsentDocument, ConsentSignature, Patient, TreatmentRoute
from ketaclinic.patients.selectors.consents import consent_document_current
from ketaclinic.printing import pdf_from_template, sha256_of
from ketaclinic.validation import validated

DRAWN_SIGNATURE = re.compile(r"^data:image/png;base64,[A-Za-z0-9+/=]+$")


MAX_DRAWN_SIGNATURE_CHARS = 400_000


@transaction.atomic
def consent_document_publish(
    *, actor: Actor, center_id: int, organization_id: int, route: str, title: str, body: str
) -> ConsentDocument:
    require(actor, Perm.CONSENT_PUBLISH, center_id=center_id)
    if route not in TreatmentRoute.values:
        raise RuleViolation(_("Unknown route."), code="unknown_route", field="route")
    if len(body.strip()) < 200:
        raise RuleViolation(_("The consent text is too short to inform anyone."), code="body_too_short", field="body")
    current = consent_document_current(organization_id=organization_id, route=route)
    document = ConsentDocument.objects.create(
        organization_id=organization_id,
        route=route,
        version=(current.version + 1) if current else 1,
        title=title.strip(),
        body=body.strip(),
        published_at=timezone.now(),
        published_by=actor.user,
    )
    audit_change_record(
        actor=actor,
        instance=document,
        action=AuditAction.CONSENT_DOCUMENT_PUBLISHED,
        changes={"route": [None, route], "version": [None, document.version]},
    )
    return document


@transaction.atomic
def consent_sign(
    *, actor: Actor, patient: Patient, route: str, typed_name: str, drawn_signature: str = "", has_read: bool
) -> ConsentSignature:
    """The patient signs on the tablet; the staff member handing it over witnesses."""
    require(actor, Perm.CONSENT_WITNESS, center_id=patient.center_id)
    document = consent_document_current(organization_id=patient.organization_id, route=route)
    if document is None:
        raise NotFound(_("No consent document is published for this route."), code="consent_document_missing")
    if not has_read:
        raise RuleViolation(
            _("The patient must confirm they have read the document."), code="not_read", field="has_read"
        )
    legal = " ".join(f"{patient.given_name} {patient.family_name}".split()).casefold()
    if " ".join(typed_name.split()).casefold() != legal:
        raise RuleViolation(
            _("Type the full legal name as registered: first and last name."), code="name_mismatch", field="typed_name"
        )
    drawn_signature = drawn_signature.strip()
    if drawn_signature and (
        len(drawn_signature) > MAX_DRAWN_SIGNATURE_CHARS or not DRAWN_SIGNATURE.match(drawn_signature)
    ):
        raise RuleViolation(_("The drawn signature could not be read."), code="bad_signature_image")
    origin = current_origin()
    signature = ConsentSignature(
        patient=patient,
        document=document,
        typed_name=" ".join(typed_name.split()),
        drawn_signature=drawn_signature,
        signed_at=timezone.now(),
        ip=origin.ip,
        user_agent=origin.user_agent,
        witnessed_by=actor.user,
    )
    pdf = pdf_from_template(
        "patients/consent_pdf.html", {"signature": signature, "document": document, "patient": patient}
    )
    signature.pdf_sha256 = sha256_of(pdf)
    signature.pdf.save(f"consent-{signature.external_id}.pdf", ContentFile(pdf), save=False)
    validated(signature)
    signature.save()
    changes = changes_between({}, snapshot(signature)) | {
        "drawn_signature": [None, "present" if drawn_signature else "none"]
    }
    audit_change_record(actor=actor, instance=signature, action=AuditAction.CONSENT_SIGNED, changes=changes)
    return signature
