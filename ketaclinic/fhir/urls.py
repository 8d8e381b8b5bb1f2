"""The FHIR downloads, under the pages they are downloaded from (``fhir:session``, ``fhir:response``)."""

from __future__ import annotations

from django.urls import path

from ketaclinic.fhir import views

app_name = "fhir"

urlpatterns = [
    path("sessions/<uuid:session_id>/fhir/", views.session_fhir_view, name="session"),
    path(
        "measures/patients/<uuid:patient_id>/responses/<uuid:response_id>/fhir/",
        views.response_fhir_view,
        name="response",
    ),
]
