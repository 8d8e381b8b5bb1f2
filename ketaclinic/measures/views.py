from __future__ import annotations

from uuid import UUID

import segno
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ketaclinic.audit.access import staff_view
from ketaclinic.audit.actions import AuditAction
from ketaclinic.clinics.actors import StaffRequest
from ketaclinic.clinics.authorization import can
from ketaclinic.clinics.selectors import active_center_get
from ketaclinic.core import instruments as library
from ketaclinic.core.errors import NotFound
from ketaclinic.core.measurement_schedule import CourseDates, is_overdue
from ketaclinic.core.permissions import Perm
from ketaclinic.http_errors import form_errors_from
from ketaclinic.measures.forms import (
    AcknowledgeForm,
    InstrumentChoiceForm,
    LinkRequestForm,
    QuestionnaireForm,
    ScheduleForm,
    StaffEntryForm,
    WordingForm,
)
from ketaclinic.measures.models import ResponseSource
from ketaclinic.measures.selectors.instrument_wording import instrument_wordings_loaded
from ketaclinic.measures.selectors.responses import (
    questionnaire_response_get,
    questionnaire_responses_completed,
    questionnaire_responses_in_progress,
)
from ketaclinic.measures.selectors.risk import risk_alert_get, risk_alert_queue
from ketaclinic.measures.selectors.schedules import measurements_due_at_center, measurements_due_for_patient
from ketaclinic.measures.services.instrument_wording import instrument_wording_load, questionnaire_text
from ketaclinic.measures.services.links import questionnaire_link_create, questionnaire_link_url
from ketaclinic.measures.services.responses import instrument_get, questionnaire_response_save
from ketaclinic.measures.services.schedules import measurement_schedule_create
from ketaclinic.measures.trajectories import trajectories_from
from ketaclinic.measures.wording import LANGUAGES, QuestionnaireText
from ketaclinic.patients.models import Patient
from ketaclinic.patients.selectors.patients import patient_chart_get, patient_get
from ketaclinic.patients.services.alerts import patient_alert_acknowledge
from ketaclinic.patients.views import chart_context


def _patient_instruments() -> list[library.Instrument]:
    return [i for i in library.all_instruments() if i.completed_by is not library.CompletedBy.CLINICIAN]


def _measures_context(request: StaffRequest, patient: Patient, **extra: object) -> dict[str, object]:
    responses = list(questionnaire_responses_completed(actor=request.actor, patient=patient))
    trajectories = trajectories_from(responses)
    time_zone = patient.center.time_zone
    today = timezone.localdate()
    dues = list(measurements_due_for_patient(actor=request.actor, patient=patient)[:8])
    return chart_context(
        request,
        patient,
        "measures",
        trajectories=trajectories,
        charts=[(t, t.chart_data(time_zone=time_zone)) for t in trajectories],
        recent=list(reversed(responses))[:20],
        in_progress=list(questionnaire_responses_in_progress(actor=request.actor, patient=patient)[:10]),
        dues=[
            (due, is_overdue(due_on=due.due_on, overdue_after_days=due.overdue_after_days, today=today)) for due in dues
        ],
        enter_form=extra.pop("enter_form", None) or InstrumentChoiceForm(instruments=list(library.all_instruments())),
        link_form=extra.pop("link_form", None) or LinkRequestForm(instruments=_patient_instruments()),
        schedule_form=extra.pop("schedule_form", None)
        or ScheduleForm(
            instruments=_patient_instruments(), initial={"baseline_on": today, "instruments": ["phq9", "gad7"]}
        ),
        can_enter=can(request.actor, Perm.MEASURE_ENTER, center_id=patient.center_id)
        or can(request.actor, Perm.MEASURE_RATE, center_id=patient.center_id),
        can_send_link=can(request.actor, Perm.MEASURE_LINK_SEND, center_id=patient.center_id),
        can_schedule=can(request.actor, Perm.MEASURE_SCHEDULE, center_id=patient.center_id),
        **extra,
    )


@staff_view(Perm.MEASURE_VIEW, action=AuditAction.MEASURES_VIEWED)
def patient_measures_view(request: StaffRequest, patient_id: UUID) -> HttpResponse:
    patient = patient_chart_get(actor=request.actor, perm=Perm.MEASURE_VIEW, patient_id=patient_id)
    return render(request, "measures/patient_measures.html", _measures_context(request, patient))


@staff_view(Perm.MEASURE_VIEW, action=AuditAction.QUESTIONNAIRE_RESPONSE_VIEWED)
def response_view(request: StaffRequest, patient_id: UUID, response_id: UUID) -> HttpResponse:
    patient = patient_chart_get(actor=request.actor, perm=Perm.MEASURE_VIEW, patient_id=patient_id)
    response = questionnaire_response_get(actor=request.actor, patient=patient, response_id=response_id)
    instrument = library.instrument(response.instrument_code)
    text = questionnaire_text(
        instrument=instrument, organization_id=patient.organization_id, language=response.language
    ) or QuestionnaireText(language=response.language, items={})
    answers = response.answers_by_item
    rows = []
    for item in instrument.items:
        value = answers.get(item.number)
        option = item.option(value) if value is not None else None
        rows.append((item, text.item_text(item), value, text.option_label(item, option) if option else None))
    context = chart_context(request, patient, "measures", response=response, instrument=instrument, rows=rows)
    return render(request, "measures/response_detail.html", context)


@staff_view(Perm.MEASURE_VIEW, action=AuditAction.QUESTIONNAIRE_RESPONSE_ENTRY_OPENED)
def response_enter_view(request: StaffRequest, patient_id: UUID, code: str) -> HttpResponse:
    """Staff key in a patient's answers, or a clinician rates a scale; progress can be saved."""
    patient = patient_chart_get(actor=request.actor, perm=Perm.MEASURE_VIEW, patient_id=patient_id)
    instrument = instrument_get(code)
    existing = None
    if request.GET.get("response") or request.POST.get("response"):
        existing = questionnaire_response_get(
            actor=request.actor, patient=patient, response_id=request.GET.get("response") or request.POST["response"]
        )
    text = questionnaire_text(instrument=instrument, organization_id=patient.organization_id, language="en")
    clinician_rated = instrument.completed_by is library.CompletedBy.CLINICIAN
    form = QuestionnaireForm(
        request.POST or None,
        instrument=instrument,
        text=text,
        initial_answers=existing.answers_by_item if existing else None,
    )
    source_form = StaffEntryForm(
        request.POST or None,
        initial={"source": ResponseSource.CLINICIAN if clinician_rated else ResponseSource.STAFF},
    )
    if request.method == "POST" and form.is_valid() and source_form.is_valid():
        complete = "submit" in request.POST
        with form_errors_from(form):
            response = questionnaire_response_save(
                actor=request.actor,
                patient=patient,
                instrument_code=instrument.code,
                answers=form.answers(),
                source=source_form.cleaned_data["source"],
                complete=complete,
                response=existing,
            )
            if complete:
                messages.success(request, _("%(scale)s recorded.") % {"scale": instrument.short_name})
                return redirect(response)
            messages.info(request, _("Progress saved. You can finish it later from the Measures tab."))
            return redirect("measures:patient", patient_id=patient.external_id)
    context = chart_context(
        request,
        patient,
        "measures",
        instrument=instrument,
        form=form,
        source_form=source_form,
        existing=existing,
        wording_missing=text is None,
    )
    return render(request, "measures/response_form.html", context)


@staff_view(Perm.MEASURE_VIEW, action=AuditAction.MEASURES_ENTRY_CHOSEN)
def response_start_view(request: StaffRequest, patient_id: UUID) -> HttpResponse:
    patient = patient_get(actor=request.actor, perm=Perm.MEASURE_VIEW, patient_id=patient_id)
    form = InstrumentChoiceForm(request.GET, instruments=list(library.all_instruments()))
    if form.is_valid():
        return redirect("measures:enter", patient_id=patient.external_id, code=form.cleaned_data["instrument"])
    return redirect("measures:patient", patient_id=patient.external_id)


@staff_view(Perm.MEASURE_LINK_SEND, action=AuditAction.QUESTIONNAIRE_LINK_CREATED)
@require_POST
def link_create_view(request: StaffRequest, patient_id: UUID) -> HttpResponse:
    patient = patient_chart_get(actor=request.actor, perm=Perm.MEASURE_LINK_SEND, patient_id=patient_id)
    form = LinkRequestForm(request.POST, instruments=_patient_instruments())
    if form.is_valid():
        with form_errors_from(form):
            link, token = questionnaire_link_create(
                actor=request.actor,
                patient=patient,
                instrument_code=form.cleaned_data["instrument"],
                language=form.cleaned_data["language"],
            )
            url = questionnaire_link_url(token)
            qr = segno.make(url, error="m").svg_data_uri(scale=6)
            context = chart_context(
                request,
                patient,
                "measures",
                link=link,
                url=url,
                qr=qr,
                instrument=library.instrument(link.instrument_code),
            )
            return render(request, "measures/link_created.html", context)
    return render(
        request, "measures/patient_measures.html", _measures_context(request, patient, link_form=form), status=422
    )


@staff_view(Perm.MEASURE_SCHEDULE, action=AuditAction.MEASUREMENT_SCHEDULE_CREATED)
@require_POST
def schedule_create_view(request: StaffRequest, patient_id: UUID) -> HttpResponse:
    patient = patient_chart_get(actor=request.actor, perm=Perm.MEASURE_SCHEDULE, patient_id=patient_id)
    form = ScheduleForm(request.POST, instruments=_patient_instruments())
    if form.is_valid():
        with form_errors_from(form):
            data = form.cleaned_data
            rows = measurement_schedule_create(
                actor=request.actor,
                patient=patient,
                instruments=data["instruments"],
                course=CourseDates(
                    baseline_on=data["baseline_on"],
                    session_dates=data["session_dates"],
                    maintenance_starts_on=data["maintenance_starts_on"],
                ),
            )
            messages.success(request, _("Schedule created: %(count)s questionnaires.") % {"count": len(rows)})
            return redirect("measures:patient", patient_id=patient.external_id)
    context = _measures_context(request, patient, schedule_form=form)
    return render(request, "measures/patient_measures.html", context, status=422)


@staff_view(Perm.MEASURE_VIEW, action=AuditAction.MEASURES_DUE_LIST_VIEWED)
def due_list_view(request: StaffRequest) -> HttpResponse:
    center = active_center_get(actor=request.actor, session=request.session)
    today = timezone.localdate()
    dues = measurements_due_at_center(actor=request.actor, center_id=center.pk if center else None, today=today)[:300]
    rows = [
        (due, is_overdue(due_on=due.due_on, overdue_after_days=due.overdue_after_days, today=today)) for due in dues
    ]
    overdue = [row for row in rows if row[1]]
    upcoming = [row for row in rows if not row[1]]
    return render(request, "measures/due_list.html", {"overdue": overdue, "upcoming": upcoming, "today": today})


@staff_view(Perm.MEASURE_VIEW, action=AuditAction.RISK_ALERTS_QUEUE_VIEWED)
def alert_queue_view(request: StaffRequest) -> HttpResponse:
    center = active_center_get(actor=request.actor, session=request.session)
    alerts = list(risk_alert_queue(actor=request.actor, center_id=center.pk if center else None)[:200])
    context = {
        "alerts": alerts,
        "form": AcknowledgeForm(),
        "can_acknowledge": can(request.actor, Perm.RISK_ALERT_ACKNOWLEDGE, center_id=center.pk if center else None),
    }
    return render(request, "measures/alert_queue.html", context)


@staff_view(Perm.RISK_ALERT_ACKNOWLEDGE, action=AuditAction.PATIENT_ALERT_ACKNOWLEDGED)
@require_POST
def alert_acknowledge_view(request: StaffRequest, alert_id: UUID) -> HttpResponse:
    alert = risk_alert_get(actor=request.actor, alert_id=alert_id)
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        with form_errors_from(form):
            patient_alert_acknowledge(actor=request.actor, alert=alert, action_taken=form.cleaned_data["action_taken"])
            messages.success(request, _("Alert acknowledged."))
            return redirect("measures:alert_queue")
    messages.error(request, _("Say what was done about the alert."))
    return redirect("measures:alert_queue")


@staff_view(Perm.MEASURE_VIEW, action=AuditAction.INSTRUMENTS_VIEWED)
def instrument_list_view(request: StaffRequest) -> HttpResponse:
    center = active_center_get(actor=request.actor, session=request.session)
    loaded = instrument_wordings_loaded(actor=request.actor, organization_id=center.organization_id) if center else {}
    rows = []
    for instrument in library.all_instruments():
        wording = {language: loaded.get((instrument.code, language)) for language in LANGUAGES}
        rows.append((instrument, wording))
    context = {"rows": rows, "can_load": can(request.actor, Perm.INSTRUMENT_WORDING_LOAD)}
    return render(request, "measures/instrument_list.html", context)


@staff_view(Perm.INSTRUMENT_WORDING_LOAD, action=AuditAction.INSTRUMENT_WORDING_LOAD_OPENED)
def wording_load_view(request: StaffRequest, code: str) -> HttpResponse:
    center = active_center_get(actor=request.actor, session=request.session)
    instrument = instrument_get(code)
    if center is None:
        raise NotFound(_("Choose a center first."), code="no_center")
    form = WordingForm(request.POST or None, instrument=instrument)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            instrument_wording_load(
                actor=request.actor,
                organization_id=center.organization_id,
                center_id=center.pk,
                instrument_code=instrument.code,
                language=form.cleaned_data["language"],
                item_texts=form.item_texts(),
                instructions=form.cleaned_data["instructions"],
                licence_reference=form.cleaned_data["licence_reference"],
                option_labels=form.labels(),
            )
            messages.success(request, _("Wording loaded for %(scale)s.") % {"scale": instrument.short_name})
            return redirect("measures:instruments")
    return render(request, "measures/wording_form.html", {"form": form, "instrument": instrument})
