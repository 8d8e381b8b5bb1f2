"""The page a patient opens from the day-before reminder: confirm fasting and a ride home.

As with questionnaire links, the date of birth comes first and is remembered in this browser's
session; until then the page shows nothing about the patient or the visit.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from ketaclinic.audit.access import public_view
from ketaclinic.core.errors import DomainError, NotFound
from ketaclinic.measures.forms import DateOfBirthForm
from ketaclinic.measures.wording import patient_language
from ketaclinic.portal.forms import SessionConfirmationForm
from ketaclinic.portal.views import identity_confirmed, identity_confirmed_remember
from ketaclinic.sessions.models import SessionConfirmation
from ketaclinic.sessions.services import confirmations as services

CONFIRMED_KEY = "ketaclinic_confirmed_session_confirmations"


def _closed(request: HttpRequest, error: DomainError, language: str | None = None) -> HttpResponse:
    context = {"message": error.message, "answered": error.code == "already_answered", "language": language}
    return render(request, "portal/confirmation_closed.html", context, status=404)


@public_view
@never_cache
def confirmation_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        confirmation = services.session_confirmation_open(token=token)
    except NotFound as error:
        return _closed(request, error)
    language = patient_language(confirmation.patient)
    with translation.override(language):
        try:
            return _confirmation_step(request, confirmation, language)
        except DomainError as error:  # answered or locked by another tab in the meantime
            return _closed(request, error, language)


def _confirmation_step(request: HttpRequest, confirmation: SessionConfirmation, language: str) -> HttpResponse:
    if not identity_confirmed(request, CONFIRMED_KEY, confirmation.external_id):
        identity = DateOfBirthForm(request.POST or None)
        if request.method == "POST" and identity.is_valid():
            born = identity.cleaned_data["date_of_birth"]
            if services.session_confirmation_confirm_identity(confirmation=confirmation, date_of_birth=born):
                identity_confirmed_remember(request, CONFIRMED_KEY, confirmation.external_id)
                return _questions(request, confirmation, language, SessionConfirmationForm())
            identity.add_error("date_of_birth", _("That date of birth does not match our records."))
        return render(request, "portal/confirmation_identity.html", {"form": identity, "language": language})
    form = SessionConfirmationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and "date_of_birth" not in request.POST and form.is_valid():
        answered = services.session_confirmation_answer(
            confirmation=confirmation,
            fasting_confirmed=form.cleaned_data["fasting_confirmed"],
            ride_confirmed=form.cleaned_data["ride_confirmed"],
            comment=form.cleaned_data["comment"],
        )
        context = {
            "language": language,
            "all_yes": answered.fasting_confirmed and answered.ride_confirmed,
            "center": answered.session.chair.room.center,
        }
        return render(request, "portal/confirmation_done.html", context)
    status = 422 if form.is_bound and form.errors else 200
    return _questions(request, confirmation, language, form, status=status)


def _questions(
    request: HttpRequest,
    confirmation: SessionConfirmation,
    language: str,
    form: SessionConfirmationForm,
    *,
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form,
        "language": language,
        "center": confirmation.session.chair.room.center,
        "starts_at": confirmation.session.starts_at,
    }
    return render(request, "portal/confirmation.html", context, status=status)
