from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ketaclinic.audit.access import staff_view
from ketaclinic.audit.actions import AuditAction
from ketaclinic.clinics.actors import StaffRequest
from ketaclinic.clinics.authorization import can
from ketaclinic.core.errors import NotFound
from ketaclinic.core.permissions import Perm
from ketaclinic.http_errors import form_errors_from
from ketaclinic.patients.models import ConsentSignature, TreatmentRoute
from ketaclinic.patients.selectors.consents import consent_current, consent_document_current, consent_signature_get
from ketaclinic.patients.selectors.patients import patient_chart_get, patient_get
from ketaclinic.patients.services.consents import consent_sign
from ketaclinic.patients.views import chart_context


class ConsentSignForm(forms.Form):
    has_read = forms.BooleanField(label=gettext_lazy("I have read this document and my questions were answered."))
    typed_name = forms.CharField(label=gettext_lazy("Type your full legal name to sign"), max_length=200)
    drawn_signature = forms.CharField(required=False, widget=forms.HiddenInput)


@staff_view(Perm.CONSENT_VIEW, action=AuditAction.CONSENTS_VIEWED)
def consent_list_view(request: StaffRequest, patient_id: UUID) -> HttpResponse:
    patient = patient_chart_get(actor=request.actor, perm=Perm.CONSENT_VIEW, patient_id=patient_id)
    rows = []
    for route in TreatmentRoute:
        document = consent_document_current(organization_id=patient.organization_id, route=route.value)
        rows.append((route, document, consent_current(patient=patient, route=route.value) if document else None))
    context = chart_context(
        request,
        patient,
        "consents",
        rows=rows,
        can_witness=can(request.actor, Perm.CONSENT_WITNESS, center_id=patient.center_id),
    )
    return render(request, "patients/consents.html", context)


@staff_view(Perm.CONSENT_WITNESS, action=AuditAction.CONSENT_SIGN_OPENED)
def consent_sign_view(request: StaffRequest, patient_id: UUID, route: str) -> HttpResponse:
    """The page handed to the patient on the tablet: the text, then their signature."""
    patient = patient_chart_get(actor=request.actor, perm=Perm.CONSENT_WITNESS, patient_id=patient_id)
    if route not in TreatmentRoute.values:
        raise NotFound(_("Unknown route."), code="unknown_route")
    document = consent_document_current(organization_id=patient.organization_id, route=route)
    if document is None:
        raise NotFound(_("No consent document is published for this route."), code="consent_document_missing")
    form = ConsentSignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            consent_sign(
                actor=request.actor,
                patient=patient,
                route=route,
                typed_name=form.cleaned_data["typed_name"],
                drawn_signature=form.cleaned_data["drawn_signature"],
                has_read=form.cleaned_data["has_read"],
            )
            messages.success(request, _("Consent signed; a PDF copy is on file."))
            return redirect("patients:consents", patient_id=patient.external_id)
    context = chart_context(request, patient, "consents", document=document, form=form)
    return render(request, "patients/consent_sign.html", context)


@staff_view(Perm.CONSENT_VIEW, action=AuditAction.CONSENT_PDF_DOWNLOADED)
def consent_pdf_view(request: StaffRequest, patient_id: UUID, signature_id: UUID) -> FileResponse:
    patient = patient_get(actor=request.actor, perm=Perm.CONSENT_VIEW, patient_id=patient_id)
    signature: ConsentSignature = consent_signature_get(actor=request.actor, patient=patient, signature_id=signature_id)
    return FileResponse(signature.pdf.open("rb"), content_type="application/pdf", filename=f"consent-{patient.mrn}.pdf")
