"""Informed consent on file: the current document per route, and the patient's signatures."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet, Subquery
from django.utils.translation import gettext as _

from ketaclinic.clinics.actors import Actor
from ketaclinic.core.errors import NotFound, RuleViolation
from ketaclinic.patients.models import ConsentDocument, ConsentSignature, Patient, TreatmentRoute


def _current_documents(*, organization_id: int, route: str) -> QuerySet[ConsentDocument]:
    return ConsentDocument.objects.filter(organization_id=organization_id, route=route).order_by("-version")


def consent_document_current(*, organization_id: int, route: str) -> ConsentDocument | None:
    return _current_documents(organization_id=organization_id, route=route).first()


def consent_current(*, patient: Patient, route: str) -> ConsentSignature | None:
    """The patient's signature on the current version for the route, if they have one.

    A new version of the document makes earlier signatures out of date. One query: the
    session checklist and the start of each dose ask this.
    """
    document = _current_documents(organization_id=patient.organization_id, route=route).values("pk")[:1]
    return (
        ConsentSignature.objects.in_use()
        .filter(patient_id=patient.pk, document_id=Subquery(document), withdrawn_at__isnull=True)
        .order_by("-signed_at")
        .first()
    )


def consent_require_current(*, patient: Patient, route: str) -> ConsentSignature:
    """Raise unless current consent is on file: a session cannot start without it."""
    signature = consent_current(patient=patient, route=route)
    if signature is None:
        raise RuleViolation(
            _("No current signed consent for %(route)s.") % {"route": TreatmentRoute(route).label},
            code="consent_missing",
        )
    return signature


def consent_signature_get(*, actor: Actor, patient: Patient, signature_id: UUID | str) -> ConsentSignature:
    try:
        return ConsentSignature.objects.in_use().get(patient_id=patient.pk, external_id=signature_id)
    except (ConsentSignature.DoesNotExist, ValueError):
        raise NotFound(_("Consent not found."), code="consent_not_found") from None
