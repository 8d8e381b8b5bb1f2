"""The esketamine REMS patient monitoring form as read: filled from the flowsheet, queued, printed.

The form's fields and deadline are versioned data (``core/rems.py``). Here the session record
answers what it can; what it cannot say (the "ready to leave" minute, other adverse events) is
left empty for the nurse, never guessed. Opening, editing, signing and submitting the form are
the writes in ``services/rems.py``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.models import TreatmentCenter
from ketaclinic.core import rems as rems_rules
from ketaclinic.core.errors import NotFound
from ketaclinic.core.permissions import Perm
from ketaclinic.intake.models import Consultation
from ketaclinic.patients.models import TreatmentRoute
from ketaclinic.printing import pdf_from_template
from ketaclinic.sessions.models import (
    DischargeAssessment,
    DoseAdministration,
    RemsEnrollment,
    RemsMonitoringForm,
    RemsSubmission,
    SessionEvent,
    TreatmentSession,
    VitalSign,
)

# The form's choices for sex; any other record value is left for the nurse.
FORM_SEXES = ("female", "male")
NOT_HELD = (TreatmentSession.Status.CANCELLED, TreatmentSession.Status.NO_SHOW)
# "About 40 minutes after administration": a reading this close to the minute counts (project
# default; monitoring is every 10-15 minutes, so one reading always falls inside when on time).
BP_NEAR_MINUTE = dt.timedelta(minutes=10)
# An alert on either measure answers "respiratory depression" (a legacy sentence too, where its measure is known).
RESPIRATORY_MEASURES = ("spo2_percent", "respiratory_rate")
# The consultation's interaction classes (core.eligibility.MedicationClass) that the form asks about.
MEDICATION_FACTS = {
    "medication.benzodiazepine": "benzodiazepine",
    "medication.non_benzodiazepine_sedative_hypnotic": "non_benzodiazepine_sedative_hypnotic",
    "medication.psychostimulant": "psychostimulant",
    "medication.mao_inhibitor": "mao_inhibitor",
    "medication.opioid": "opioid",
}


def is_esketamine(session: TreatmentSession) -> bool:
    return session.plan.route == TreatmentRoute.ESKETAMINE


def form_definition(form: RemsMonitoringForm) -> rems_rules.FormDefinition:
    return rems_rules.definition_get(form.definition_version)


# --- What the record says -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """Everything of one session the form is filled from, read once."""

    session: TreatmentSession
    center: TreatmentCenter
    treatment_date: dt.date
    dose: DoseAdministration | None
    first_device_at: dt.datetime | None
    discharged_at: dt.datetime | None
    readings: list[VitalSign]
    has_earlier_session: bool
    is_enrolled: bool
    medication_classes: frozenset[str] | None

    @property
    def before_dose(self) -> list[VitalSign]:
        if self.first_device_at is None:
            return []
        return [r for r in self.readings if r.measured_at <= self.first_device_at]

    @property
    def after_dose(self) -> list[VitalSign]:
        if self.first_device_at is None:
            return []
        end = self.discharged_at
        return [
            r for r in self.readings if r.measured_at > self.first_device_at and (end is None or r.measured_at <= end)
        ]


def session_record_read(session: TreatmentSession) -> SessionRecord:
    """Read the session's record for the form (seven queries, however long the session)."""
    session = TreatmentSession.objects.select_related("patient", "nurse", "plan", "chair__room__center").get(
        pk=session.pk
    )
    center = session.chair.room.center
    # Only a dose that ended says what was given; a running one may still change.
    finished = list(
        DoseAdministration.objects.in_use()
        .filter(session=session, status__in=[DoseAdministration.Status.COMPLETED, DoseAdministration.Status.STOPPED])
        .order_by("prepared_at")
    )
    events = list(
        SessionEvent.objects.in_use()
        .filter(session=session, kind__in=[SessionEvent.Kind.DEVICE_GIVEN, SessionEvent.Kind.DOSE_STARTED])
        .order_by("occurred_at")
    )
    devices = [e.occurred_at for e in events if e.kind == SessionEvent.Kind.DEVICE_GIVEN]
    starts = [e.occurred_at for e in events if e.kind == SessionEvent.Kind.DOSE_STARTED]
    first_device_at = min(devices) if devices else (min(starts) if starts else None)
    discharge = (
        DischargeAssessment.objects.in_use().filter(session=session, discharged=True).order_by("assessed_at").first()
    )
    readings = list(VitalSign.objects.in_use().filter(session=session).order_by("measured_at", "pk"))
    when = first_device_at or session.starts_at
    treatment_date = center.local_date(when)
    has_earlier = (
        TreatmentSession.objects.in_use()
        .filter(patient_id=session.patient_id, plan__route=TreatmentRoute.ESKETAMINE, starts_at__lt=session.starts_at)
        .exclude(status__in=NOT_HELD)
        .exists()
    )
    is_enrolled = (
        RemsEnrollment.objects.in_use().filter(patient_id=session.patient_id, enrolled_on__lte=treatment_date).exists()
    )
    # The form asks what the patient takes now: only a reconciled list from a signed consultation
    # answers it, and the nurse sees that the answer came from there.
    consultation = (
        Consultation.objects.in_use()
        .filter(patient_id=session.patient_id, status=Consultation.Status.SIGNED, are_medications_reconciled=True)
        .order_by("-started_at")
        .first()
    )
    return SessionRecord(
        session=session,
        center=center,
        treatment_date=treatment_date,
        dose=finished[-1] if len(finished) == 1 else None,
        first_device_at=first_device_at,
        discharged_at=discharge.assessed_at if discharge else None,
        readings=readings,
        has_earlier_session=has_earlier,
        is_enrolled=is_enrolled,
        medication_classes=frozenset(consultation.medication_classes) if consultation else None,
    )


def _yes_no(answer: bool | None) -> str | None:
    return None if answer is None else ("yes" if answer else "no")


def _given_mg(record: SessionRecord) -> Decimal | None:
    if record.dose is None:
        return None
    return record.dose.given_mg if record.dose.given_mg is not None else None


def _dose_amount(record: SessionRecord, _field: rems_rules.FormField) -> str | None:
    given = _given_mg(record)
    if given is None:
        return None
    return {Decimal(56): "56", Decimal(84): "84"}.get(given, "other")


def _dose_other(record: SessionRecord, _field: rems_rules.FormField) -> int | None:
    given = _given_mg(record)
    if given is None or given in (Decimal(56), Decimal(84)) or given != given.to_integral_value():
        return None
    return int(given)


def _total_minutes(record: SessionRecord, _field: rems_rules.FormField) -> int | None:
    if record.first_device_at is None or record.discharged_at is None:
        return None
    return int((record.discharged_at - record.first_device_at).total_seconds() // 60)


def _blood_pressure(reading: VitalSign | None) -> str | None:
    return None if reading is None else f"{reading.systolic_mmhg}/{reading.diastolic_mmhg}"


def _with_bp(readings: list[VitalSign]) -> list[VitalSign]:
    return [r for r in readings if r.systolic_mmhg is not None and r.diastolic_mmhg is not None]


def _bp_before(record: SessionRecord, _field: rems_rules.FormField) -> str | None:
    before = _with_bp(record.before_dose)
    return _blood_pressure(before[-1] if before else None)


def _bp_at_minute(record: SessionRecord, field: rems_rules.FormField) -> str | None:
    if record.first_device_at is None or field.prefill_minute is None:
        return None
    target = record.first_device_at + dt.timedelta(minutes=field.prefill_minute)
    near = [r for r in _with_bp(record.after_dose) if abs(r.measured_at - target) <= BP_NEAR_MINUTE]
    return _blood_pressure(min(near, key=lambda r: abs(r.measured_at - target)) if near else None)


def _bp_before_completion(record: SessionRecord, _field: rems_rules.FormField) -> str | None:
    if record.discharged_at is None:
        return None
    after = _with_bp(record.after_dose)
    return _blood_pressure(after[-1] if after else None)


def _sedation(record: SessionRecord, _field: rems_rules.FormField) -> str | None:
    baseline = [r.moaas for r in record.before_dose if r.moaas is not None]
    after = [r.moaas for r in record.after_dose if r.moaas is not None]
    if not baseline or not after:
        return None
    return _yes_no(any(value < baseline[-1] for value in after))


def _dissociation(record: SessionRecord, _field: rems_rules.FormField) -> str | None:
    ratings = [r.dissociation for r in record.after_dose if r.dissociation is not None]
    return _yes_no(any(rating >= 1 for rating in ratings)) if ratings else None


def _respiratory_depression(record: SessionRecord, _field: rems_rules.FormField) -> str | None:
    after = record.after_dose
    if any(alert.measure in RESPIRATORY_MEASURES for r in after for alert in r.reading_alerts):
        return "yes"
    monitored = any(r.spo2_percent is not None or r.respiratory_rate is not None for r in after)
    return "no" if monitored else None


def _medication(klass: str) -> Callable[[SessionRecord, rems_rules.FormField], str | None]:
    def answer(record: SessionRecord, _field: rems_rules.FormField) -> str | None:
        if record.medication_classes is None:
            return None
        return _yes_no(klass in record.medication_classes)

    return answer


def _simple(read: Callable[[SessionRecord], Any]) -> Callable[[SessionRecord, rems_rules.FormField], Any]:
    return lambda record, _field: read(record) or None


# Fact name (a field's ``prefill`` in the YAML) -> how the record answers it, or None.
# "Vital signs acceptable before administration / completion" is the clinician's judgement
# (the pre-dose limit is weighed, not a threshold alert), so no fact answers it (issue #10).
FACTS: dict[str, Callable[[SessionRecord, rems_rules.FormField], Any]] = {
    "patient.first_name": _simple(lambda r: r.session.patient.given_name),
    "patient.middle_initial": _simple(lambda r: r.session.patient.middle_name[:1].upper()),
    "patient.last_name": _simple(lambda r: r.session.patient.family_name),
    "patient.date_of_birth": _simple(lambda r: r.session.patient.date_of_birth),
    # The form offers female or male; any other entry on the record is the nurse's to answer.
    "patient.sex": _simple(
        lambda r: r.session.patient.sex_at_birth if r.session.patient.sex_at_birth in FORM_SEXES else None
    ),
    "session.first_treatment": _simple(lambda r: "no" if r.has_earlier_session else "yes"),
    "patient.rems_enrolled": _simple(lambda r: "yes" if r.is_enrolled else None),
    "nurse.first_name": _simple(lambda r: r.session.nurse.first_name),
    "nurse.last_name": _simple(lambda r: r.session.nurse.last_name),
    "nurse.email": _simple(lambda r: r.session.nurse.email),
    "center.phone": _simple(lambda r: r.center.phone),
    "center.name": _simple(lambda r: r.center.name),
    "center.street": _simple(lambda r: r.center.street),
    "center.city": _simple(lambda r: r.center.city),
    "center.state": _simple(lambda r: r.center.state),
    "center.postal_code": _simple(lambda r: r.center.postal_code),
    "session.date": _simple(lambda r: r.treatment_date),
    "dose.amount": _dose_amount,
    "dose.other_mg": _dose_other,
    "dose.lot_number": _simple(lambda r: r.dose.lot_number if r.dose else None),
    "monitoring.total_minutes": _total_minutes,
    "bp.before_administration": _bp_before,
    "bp.minutes_after_first_device": _bp_at_minute,
    "bp.before_completion": _bp_before_completion,
    "events.sedation": _sedation,
    "events.dissociation": _dissociation,
    "events.respiratory_depression": _respiratory_depression,
} | {fact: _medication(klass) for fact, klass in MEDICATION_FACTS.items()}


def rems_prefill(definition: rems_rules.FormDefinition, record: SessionRecord) -> dict[str, Any]:
    """Field key -> value for every field the record answers; the rest stay for the nurse."""
    values: dict[str, Any] = {}
    for field in definition.fields:
        # A later definition may name a fact this code does not know yet: the nurse fills it.
        read = FACTS.get(field.prefill)
        if read is None:
            continue
        raw = read(record, field)
        try:
            value = rems_rules.clean_value(field, raw)
        except rems_rules.RemsValueError:
            # A record value the form cannot take (e.g. a 3-letter state) is left for the nurse.
            continue
        if value is not None:
            values[field.key] = value
    return values


# --- Reads ----------------------------------------------------------------------------------


def rems_form_for_session(*, session: TreatmentSession) -> RemsMonitoringForm | None:
    return (
        RemsMonitoringForm.objects.in_use()
        .filter(session=session)
        .select_related("signed_by")
        .prefetch_related("submissions__submitted_by")
        .first()
    )


@dataclass(frozen=True, slots=True)
class RemsPreview:
    """The form as it would open now: the definition, the values the record gives, and which."""

    definition: rems_rules.FormDefinition
    values: dict[str, Any]
    prefilled: list[str]
    due_on: dt.date


def rems_form_preview(*, session: TreatmentSession) -> RemsPreview:
    record = session_record_read(session)
    definition = rems_rules.definition_in_force(record.treatment_date)
    values = rems_prefill(definition, record)
    return RemsPreview(
        definition=definition,
        values=values,
        prefilled=list(values),
        due_on=rems_rules.due_on(definition, record.treatment_date),
    )


@dataclass(frozen=True, slots=True)
class QueueLine:
    session: TreatmentSession
    form: RemsMonitoringForm | None
    treatment_date: dt.date
    due_on: dt.date
    days_left: int

    @property
    def state(self) -> str:
        return self.form.get_status_display() if self.form else _("Not started")


def rems_queue(*, actor: Actor, center_id: int, today: dt.date | None = None) -> list[QueueLine]:
    """Esketamine sessions that took place at the center and whose form is not submitted.

    Oldest due first; days left is negative once overdue. One query, however long the list.
    """
    if not actor.can(Perm.SESSION_VIEW, center_id=center_id):
        raise NotFound(_("Center not found."), code="center_not_found")
    now = timezone.now()
    sessions = (
        TreatmentSession.objects.in_use()
        .filter(patient__center_id=center_id, plan__route=TreatmentRoute.ESKETAMINE, starts_at__lte=now)
        .exclude(status__in=NOT_HELD)
        .exclude(rems_form__status=RemsMonitoringForm.Status.SUBMITTED)
        .select_related("patient", "patient__center", "nurse", "chair", "rems_form")
    )
    lines = []
    for session in sessions:
        form: RemsMonitoringForm | None = getattr(session, "rems_form", None)
        center = session.patient.center
        today_there = today or center.local_date(now)
        treatment_date = center.local_date(session.starts_at)
        if form is not None:
            due = form.due_on
        else:
            due = rems_rules.due_on(rems_rules.definition_in_force(treatment_date), treatment_date)
        lines.append(QueueLine(session, form, treatment_date, due, (due - today_there).days))
    return sorted(lines, key=lambda line: (line.due_on, line.session.starts_at))


def rems_submissions(*, form: RemsMonitoringForm) -> list[RemsSubmission]:
    return list(RemsSubmission.objects.in_use().filter(form=form).select_related("submitted_by"))


# --- The form as signed and printed ---------------------------------------------------------


def rems_form_content_sha256(form: RemsMonitoringForm) -> str:
    content = {
        "session": str(form.session.external_id),
        "definition_version": form.definition_version,
        "values": form.values,
        "signed_by": form.signed_by.get_username() if form.signed_by else None,
        "signed_at": form.signed_at.isoformat() if form.signed_at else None,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Row:
    field: rems_rules.FormField
    value: Any
    shown: str
    is_prefilled: bool
    is_required: bool
    is_missing: bool


def rems_form_rows(
    definition: rems_rules.FormDefinition, values: Mapping[str, Any], prefilled: list[str]
) -> list[tuple[rems_rules.Section, list[Row]]]:
    """The form's sections with each field's value as shown, and whether it is from the record or still due."""
    sections = []
    for section in definition.sections:
        rows = []
        for field in definition.fields_of(section.key):
            value = values.get(field.key)
            required = rems_rules.is_required(field, values)
            rows.append(
                Row(
                    field=field,
                    value=value,
                    shown=_shown(field, value),
                    is_prefilled=field.key in prefilled,
                    is_required=required,
                    is_missing=required and rems_rules.is_empty(value),
                )
            )
        sections.append((section, rows))
    return sections


def _shown(field: rems_rules.FormField, value: Any) -> str:
    if rems_rules.is_empty(value):
        return "—"
    if field.options:
        return dict(field.options).get(str(value), str(value))
    if field.kind == rems_rules.FieldKind.DATE:
        return dt.date.fromisoformat(value).strftime("%m/%d/%Y")
    if field.kind == rems_rules.FieldKind.BLOOD_PRESSURE:
        return f"{value} mmHg"
    return str(value)


def rems_form_pdf_render(form: RemsMonitoringForm) -> bytes:
    definition = form_definition(form)
    session = form.session
    zone = zoneinfo.ZoneInfo(session.patient.center.time_zone)
    return pdf_from_template(
        "sessions/rems_form_pdf.html",
        {
            "form": form,
            "definition": definition,
            "sections": rems_form_rows(definition, form.values, form.prefilled),
            "patient": session.patient,
            "signed_at_local": form.signed_at.astimezone(zone) if form.signed_at else None,
        },
    )
