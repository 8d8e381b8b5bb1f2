"""Pages a patient opens from a questionnaire link: no sign-in, only that one questionnaire.

The patient confirms their date of birth first; the confirmation lives in this browser's
session. Nothing here shows the patient's name or record, so a forwarded link leaks nothing
before the birth date is given. Pages speak the link's language.
"""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from ketaclinic.audit.access import public_view
from ketaclinic.core import instruments as library
from ketaclinic.core.errors import NotFound
from ketaclinic.core.instruments.risk import risk_findings
from ketaclinic.http_errors import form_errors_from
from ketaclinic.measures.forms import DateOfBirthForm, QuestionnaireForm
from ketaclinic.measures.models import QuestionnaireLink
from ketaclinic.measures.scoring import patient_score
from ketaclinic.measures.services.instrument_wording import questionnaire_text
from ketaclinic.measures.services.links import (
    questionnaire_link_answer,
    questionnaire_link_confirm_identity,
    questionnaire_link_open,
)
from ketaclinic.measures.wording import QuestionnaireText

CONFIRMED_KEY = "ketaclinic_confirmed_links"


def identity_confirmed(request: HttpRequest, key: str, external_id: UUID) -> bool:
    """Whether this browser gave the right date of birth for the link ``external_id``."""
    return str(external_id) in request.session.get(key, [])


def identity_confirmed_remember(request: HttpRequest, key: str, external_id: UUID) -> None:
    """Remember a confirmed date of birth under a new session id, so a planted session id learns nothing."""
    request.session.cycle_key()
    request.session[key] = [*request.session.get(key, []), str(external_id)]


@public_view
@never_cache
def questionnaire_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = questionnaire_link_open(token=token)
    except NotFound as error:
        return render(request, "portal/link_dead.html", {"message": error.message}, status=404)
    with translation.override(link.language):
        return _questionnaire_step(request, link, library.instrument(link.instrument_code))


def _questionnaire_step(request: HttpRequest, link: QuestionnaireLink, instrument: library.Instrument) -> HttpResponse:
    if not identity_confirmed(request, CONFIRMED_KEY, link.external_id):
        identity = DateOfBirthForm(request.POST or None)
        if request.method == "POST" and identity.is_valid():
            born = identity.cleaned_data["date_of_birth"]
            if questionnaire_link_confirm_identity(link=link, date_of_birth=born):
                identity_confirmed_remember(request, CONFIRMED_KEY, link.external_id)
                return _questionnaire_page(request, link, instrument)
            identity.add_error("date_of_birth", _("That date of birth does not match our records."))
        context = {"form": identity, "instrument": instrument, "language": link.language}
        return render(request, "portal/identity.html", context)
    if request.method == "POST" and "date_of_birth" not in request.POST:
        form = QuestionnaireForm(request.POST, instrument=instrument, text=_text(link, instrument))
        if form.is_valid():
            complete = "submit" in request.POST
            with form_errors_from(form):
                response = questionnaire_link_answer(link=link, answers=form.answers(), complete=complete)
                if complete:
                    result = patient_score(
                        instrument=instrument, answers=response.answers_by_item, patient=link.patient
                    )
                    context = {
                        "instrument": instrument,
                        "language": link.language,
                        "show_crisis": bool(risk_findings(instrument, result)),
                    }
                    return render(request, "portal/done.html", context)
                return _questionnaire_page(request, link, instrument, saved=True)
        return _questionnaire_page(request, link, instrument, form=form)
    return _questionnaire_page(request, link, instrument)


def _text(link: QuestionnaireLink, instrument: library.Instrument) -> QuestionnaireText | None:
    return questionnaire_text(
        instrument=instrument, organization_id=link.patient.organization_id, language=link.language
    )


def _questionnaire_page(
    request: HttpRequest,
    link: QuestionnaireLink,
    instrument: library.Instrument,
    *,
    form: QuestionnaireForm | None = None,
    saved: bool = False,
) -> HttpResponse:
    link.refresh_from_db(fields=["response"])
    text = _text(link, instrument)
    form = form or QuestionnaireForm(
        instrument=instrument, text=text, initial_answers=link.response.answers_by_item if link.response else None
    )
    context = {
        "form": form,
        "instrument": instrument,
        "language": link.language,
        "instructions": text.instructions if text else "",
        "saved": saved,
    }
    return render(request, "portal/questionnaire.html", context)
