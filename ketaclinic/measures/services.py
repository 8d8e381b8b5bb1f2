"""Every write of measurement-based care: answers, scores, links, schedules, reminders, alerts."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.audit.services import (
    EntryFacts,
    audit_change_record,
    audit_event_record,
    changes_between,
    jsonable,
    snapshot,
)
from ketaclinic.clinics.authorization import require
from ketaclinic.core import instruments as library
from ketaclinic.core.errors import Conflict, Forbidden, NotFound, RuleViolation
from ketaclinic.core.instruments.risk import RiskKind, risk_findings
from ketaclinic.core.measurement_schedule import CourseDates, measurement_schedule
from ketaclinic.core.permissions import Perm
from ketaclinic.core.tokens import token_digest
from ketaclinic.measures.models import (
    InstrumentWording,
    MeasurementDue,
    OutgoingMessage,
    QuestionnaireLink,
    QuestionnaireResponse,
    ResponseSource,
)
from ketaclinic.measures.scoring import patient_score, scoring_sex
from ketaclinic.measures.text_messages import TextMessage, text_message_backend
from ketaclinic.measures.wording import QuestionnaireText, bundled_text, loaded_text, patient_language
from ketaclinic.patients.models import Patient, PatientAlert
from ketaclinic.patients.services import patient_alert_raise

MAX_IDENTITY_ATTEMPTS = 5


def instrument_get(code: str) -> library.Instrument:
    try:
        return library.instrument(code)
    except NotFound:
        raise NotFound(_("No such questionnaire."), code="instrument_not_found") from None


def _require_entry(actor: Any, instrument: library.Instrument, patient: Patient, source: str) -> None:
    """Clinician-rated scales need a rater; self-report scales can be keyed in by staff."""
    if isinstance(actor, QuestionnaireLink):
        if actor.patient_id != patient.pk or actor.instrument_code != instrument.code:
            raise Forbidden(_("This link is for another questionnaire."), code="link_mismatch")
        if instrument.completed_by is library.CompletedBy.CLINICIAN:
            raise Forbidden(_("A clinician completes this scale."), code="clinician_rated")
        return
    perm = Perm.MEASURE_RATE if source == ResponseSource.CLINICIAN else Perm.MEASURE_ENTER
    require(actor, perm, center_id=patient.center_id)
    if instrument.completed_by is library.CompletedBy.CLINICIAN and source != ResponseSource.CLINICIAN:
        raise RuleViolation(_("This scale is rated by a clinician."), code="clinician_rated", field="source")


def _clean_answers(
    instrument: library.Instrument, answers: Mapping[int, int | None], patient: Patient
) -> tuple[dict[int, int | None], library.ScoreResult]:
    """The answers keyed by item number, and their score; raises RuleViolation naming a bad answer."""
    cleaned = {int(number): value for number, value in answers.items()}
    return cleaned, patient_score(instrument=instrument, answers=cleaned, patient=patient)


def _author_label(actor: Any) -> str:
    return f"patient via link {actor.external_id}" if isinstance(actor, QuestionnaireLink) else ""


def _record(actor: Any, instance: Any, action: str, changes: dict[str, Any]) -> None:
    if isinstance(actor, QuestionnaireLink):
        audit_event_record(
            EntryFacts(
                kind="change",
                action=action,
                actor=None,
                actor_label=_author_label(actor),
                role="patient",
                center_id=instance.patient.center_id,
                patient_id=instance.patient_id,
                object_type=instance._meta.label_lower,
                object_id=str(instance.external_id),
                changes=changes,
            )
        )
    else:
        audit_change_record(actor=actor, instance=instance, action=action, changes=changes)


@transaction.atomic
def questionnaire_response_save(
    *,
    actor: Any,
    patient: Patient,
    instrument_code: str,
    answers: Mapping[int, int | None],
    source: str,
    language: str = "en",
    complete: bool,
    response: QuestionnaireResponse | None = None,
    due: MeasurementDue | None = None,
    administered_at: dt.datetime | None = None,
) -> QuestionnaireResponse:
    """Save answers, in progress or complete; a completed one is scored and checked for risk.

    ``administered_at`` dates a paper form keyed in later; it cannot lie in the future.
    """
    instrument = instrument_get(instrument_code)
    _require_entry(actor, instrument, patient, source)
    cleaned, result = _clean_answers(instrument, answers, patient)
    now = timezone.now()
    if administered_at is not None:
        if administered_at > now:
            raise RuleViolation(_("A questionnaire cannot be dated in the future."), code="administered_in_future")
        if isinstance(actor, QuestionnaireLink):
            raise Forbidden(_("Only staff can date a questionnaire."), code="administered_at_staff_only")
        now = administered_at
    if response is None:
        response = QuestionnaireResponse(
            patient=patient,
            instrument_code=instrument.code,
            instrument_version=instrument.version,
            language=language,
            source=source,
            started_at=now,
            due=due,
            entered_by=None if isinstance(actor, QuestionnaireLink) else actor,
        )
        before: dict[str, Any] = {}
    else:
        response = QuestionnaireResponse.objects.select_for_update().select_related("patient").get(pk=response.pk)
        if response.patient_id != patient.pk or response.instrument_code != instrument.code:
            raise Conflict(_("That saved questionnaire is for another scale or patient."), code="response_mismatch")
        if not isinstance(actor, QuestionnaireLink) and hasattr(response, "link"):
            raise Conflict(_("The patient is answering this one through their link."), code="response_on_link")
        if response.status == QuestionnaireResponse.Status.COMPLETED:
            raise Conflict(_("This questionnaire was already submitted."), code="already_completed")
        before = snapshot(response)
    response.answers = {str(number): value for number, value in sorted(cleaned.items()) if value is not None}
    if complete:
        response.status = QuestionnaireResponse.Status.COMPLETED
        response.completed_at = now
        response.scoring_rule_version = result.scoring_rule_version
        response.total = result.total
        response.severity = result.severity or ""
        response.severity_label = result.severity_label or ""
        response.completeness = result.completeness.value
        response.flags = list(result.flags)
        response.verdict = jsonable(
            {
                "reasons": result.reasons,
                "thresholds": result.thresholds,
                "settings": result.settings,
                "subscales": result.subscales,
                "screens": result.screens,
                "missing_items": result.missing_items,
                "band_could_rise_to": result.band_could_rise_to,
                "sex": scoring_sex(patient).value,
            }
        )
    response.full_clean()
    response.save()
    _record(
        actor,
        response,
        "questionnaire_response.completed" if complete else "questionnaire_response.saved",
        changes_between(before, snapshot(response)),
    )
    if complete:
        if response.due_id:
            measurement_due_complete(due_id=response.due_id, at=now)
        _raise_risk_alerts(instrument, response, result, language=language)
    else:
        # A positive suicide-risk answer must reach a clinician even if the form is never sent.
        _raise_risk_alerts(instrument, response, result, language=language, positive_only=True)
    return response


def measurement_due_complete(*, due_id: int, at: dt.datetime) -> None:
    due = MeasurementDue.objects.select_for_update().get(pk=due_id)
    if due.completed_at is None:
        due.completed_at = at
        due.save(update_fields=["completed_at"])


def _raise_risk_alerts(
    instrument: library.Instrument,
    response: QuestionnaireResponse,
    result: library.ScoreResult,
    *,
    language: str,
    positive_only: bool = False,
) -> None:
    already = set(
        PatientAlert.objects.filter(
            source_type="measures.questionnaireresponse", source_id=str(response.external_id)
        ).values_list("message", flat=True)
    )
    for finding in risk_findings(instrument, result, language=language):
        if positive_only and finding.kind is not RiskKind.POSITIVE:
            continue
        message = (
            _("%(scale)s: suicide-risk answer needs same-day review") % {"scale": instrument.short_name}
            if finding.kind is RiskKind.POSITIVE
            else _("%(scale)s: suicide-risk question unanswered") % {"scale": instrument.short_name}
        )
        if message in already:
            continue
        alert = patient_alert_raise(
            actor=None,
            patient=response.patient,
            kind=PatientAlert.Kind.SUICIDE_RISK,
            message=message,
            reason=f"{finding.reason} (rule {finding.flag}, {finding.level}; source: {finding.source})",
            raised_at=response.completed_at or timezone.now(),
            source_type="measures.questionnaireresponse",
            source_id=str(response.external_id),
        )
        from ketaclinic.measures.tasks import escalate_unacknowledged_risk_alerts

        minutes = response.patient.organization.risk_alert_escalation_minutes
        run_after = alert.raised_at + dt.timedelta(minutes=minutes)
        transaction.on_commit(partial(_enqueue_escalation, escalate_unacknowledged_risk_alerts, run_after))


def _enqueue_escalation(task: Any, run_after: dt.datetime) -> None:
    backend_supports_defer = task.get_backend().supports_defer
    (task.using(run_after=run_after) if backend_supports_defer else task).enqueue()


@transaction.atomic
def risk_alerts_escalate_overdue(*, now: dt.datetime | None = None) -> list[PatientAlert]:
    """Escalate suicide-risk alerts nobody acknowledged within their organization's time."""
    now = now or timezone.now()
    escalated = []
    candidates = (
        PatientAlert.objects.select_for_update()
        .filter(
            kind=PatientAlert.Kind.SUICIDE_RISK,
            acknowledged_at__isnull=True,
            escalated_at__isnull=True,
            resolved_at__isnull=True,
        )
        .in_use()
        .select_related("patient", "patient__organization", "patient__center")
    )
    for alert in candidates:
        minutes = alert.patient.organization.risk_alert_escalation_minutes
        if alert.raised_at + dt.timedelta(minutes=minutes) > now:
            continue
        before = snapshot(alert)
        alert.escalated_at = now
        alert.save(update_fields=["escalated_at"])
        audit_change_record(
            actor=None,
            instance=alert,
            action="patient_alert.escalated",
            changes=changes_between(before, snapshot(alert)),
            role="system",
        )
        _notify_escalation(alert, minutes)
        escalated.append(alert)
    return escalated


def _notify_escalation(alert: PatientAlert, minutes: int) -> None:
    from ketaclinic.clinics.models import StaffRole
    from ketaclinic.core.permissions import Role

    recipients = sorted(
        set(
            StaffRole.objects.filter(
                center_id=alert.patient.center_id, role__in=[Role.PRESCRIBER, Role.CENTER_ADMIN], is_active=True
            )
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    )
    if not recipients:
        return
    url = settings.KETACLINIC_PUBLIC_URL.rstrip("/") + reverse("measures:alert_queue")
    # No name or answer in the email: it only says where to look.
    body = _(
        "A suicide-risk alert for patient record %(mrn)s at %(center)s has not been acknowledged "
        "for %(minutes)s minutes. Open the risk alert queue: %(url)s"
    ) % {"mrn": alert.patient.mrn, "center": alert.patient.center.name, "minutes": minutes, "url": url}
    transaction.on_commit(
        lambda: send_mail(_("Unacknowledged suicide-risk alert"), body, None, recipients, fail_silently=False)
    )


@transaction.atomic
def questionnaire_link_create(
    *,
    actor: Any,
    patient: Patient,
    instrument_code: str,
    language: str = "en",
    due: MeasurementDue | None = None,
    valid_hours: int | None = None,
) -> tuple[QuestionnaireLink, str]:
    """Make a single-use link; returns it with its token, which is not stored and shown once."""
    if actor is not None:
        require(actor, Perm.MEASURE_LINK_SEND, center_id=patient.center_id)
    instrument = instrument_get(instrument_code)
    if instrument.completed_by is library.CompletedBy.CLINICIAN:
        raise RuleViolation(
            _("A clinician rates this scale; it cannot be sent to the patient."), code="clinician_rated"
        )
    if not questionnaire_text(instrument=instrument, organization_id=patient.organization_id, language=language):
        raise RuleViolation(
            _("The wording of %(scale)s in this language has not been loaded yet.") % {"scale": instrument.short_name},
            code="wording_missing",
        )
    token = secrets.token_urlsafe(24)
    hours = valid_hours or settings.KETACLINIC_QUESTIONNAIRE_LINK_HOURS
    link = QuestionnaireLink(
        token_hash=token_digest(token),
        patient=patient,
        instrument_code=instrument.code,
        language=language,
        due=due,
        created_by=actor,
        expires_at=timezone.now() + dt.timedelta(hours=hours),
    )
    link.full_clean()
    link.save()
    audit_change_record(
        actor=actor,
        instance=link,
        action="questionnaire_link.created",
        changes={"instrument_code": [None, link.instrument_code], "expires_at": [None, link.expires_at]},
    )
    return link, token


def questionnaire_link_url(token: str) -> str:
    return settings.KETACLINIC_PUBLIC_URL.rstrip("/") + reverse("portal:questionnaire", kwargs={"token": token})


def questionnaire_link_open(*, token: str) -> QuestionnaireLink:
    """The live link for a token; a used, expired or unknown one answers the same."""
    link = (
        QuestionnaireLink.objects.select_related("patient", "patient__organization", "response")
        .filter(token_hash=token_digest(token))
        .first()
    )
    if link is None or link.used_at or link.revoked_at or link.expires_at <= timezone.now():
        raise NotFound(_("This link has expired or was already used. Ask the clinic for a new one."), code="link_dead")
    if link.failed_identity_attempts >= MAX_IDENTITY_ATTEMPTS:
        raise NotFound(_("This link is locked. Ask the clinic for a new one."), code="link_locked")
    return link


@transaction.atomic
def questionnaire_link_confirm_identity(*, link: QuestionnaireLink, date_of_birth: dt.date) -> bool:
    link = QuestionnaireLink.objects.select_for_update().select_related("patient").get(pk=link.pk)
    # Checked again under the lock: parallel guesses must not get past the limit.
    if (
        link.failed_identity_attempts >= MAX_IDENTITY_ATTEMPTS
        or link.used_at
        or link.revoked_at
        or link.expires_at <= timezone.now()
    ):
        raise NotFound(_("This link is locked. Ask the clinic for a new one."), code="link_locked")
    if link.patient.date_of_birth != date_of_birth:
        link.failed_identity_attempts += 1
        link.save(update_fields=["failed_identity_attempts"])
        _record(
            link,
            link,
            "questionnaire_link.identity_failed",
            {"failed_identity_attempts": link.failed_identity_attempts},
        )
        return False
    link.identity_confirmed_at = timezone.now()
    link.save(update_fields=["identity_confirmed_at"])
    _record(link, link, "questionnaire_link.identity_confirmed", {})
    return True


@transaction.atomic
def questionnaire_link_answer(
    *, link: QuestionnaireLink, answers: Mapping[int, int | None], complete: bool
) -> QuestionnaireResponse:
    """Save a patient's answers through their link; submitting uses the link up."""
    link = (
        QuestionnaireLink.objects.select_for_update().select_related("patient", "patient__organization").get(pk=link.pk)
    )
    if link.used_at is not None:
        raise Conflict(_("This questionnaire was already submitted."), code="already_completed")
    response = questionnaire_response_save(
        actor=link,
        patient=link.patient,
        instrument_code=link.instrument_code,
        answers=answers,
        source=ResponseSource.PATIENT,
        language=link.language,
        complete=complete,
        response=link.response,
        due=link.due,
    )
    link.response = response
    if complete:
        link.used_at = response.completed_at
    link.save(update_fields=["response", "used_at"])
    return response


def questionnaire_text(
    *, instrument: library.Instrument, organization_id: int, language: str
) -> QuestionnaireText | None:
    """The wording to show: bundled with the scale, else the newest the organization loaded."""
    bundled = bundled_text(instrument, language)
    if bundled is not None:
        return bundled
    loaded = (
        InstrumentWording.objects.filter(
            organization_id=organization_id, instrument_code=instrument.code, language=language
        )
        .order_by("-loaded_at")
        .first()
    )
    return loaded_text(loaded) if loaded else None


@transaction.atomic
def instrument_wording_load(
    *,
    actor: Any,
    organization_id: int,
    center_id: int,
    instrument_code: str,
    language: str,
    item_texts: Mapping[int, str],
    instructions: str,
    licence_reference: str,
    option_labels: Mapping[int, Mapping[int, str]] | None = None,
) -> InstrumentWording:
    """Load licensed wording, or a validated translation, for a scale shipped without it."""
    require(actor, Perm.INSTRUMENT_WORDING_LOAD, center_id=center_id)
    instrument = instrument_get(instrument_code)
    if bundled_text(instrument, language) is not None:
        raise RuleViolation(_("This scale ships with its wording in this language."), code="wording_bundled")
    numbers = {item.number for item in instrument.items}
    missing = sorted(numbers - {n for n, text in item_texts.items() if text.strip()})
    if missing:
        items = ", ".join(map(str, missing))
        raise RuleViolation(_("Wording is missing for items %(items)s.") % {"items": items}, code="wording_incomplete")
    if not licence_reference.strip():
        raise RuleViolation(
            _("Name the licence that allows this wording."), code="licence_required", field="licence_reference"
        )
    wording = InstrumentWording.objects.create(
        organization_id=organization_id,
        instrument_code=instrument.code,
        language=language,
        instructions=instructions.strip(),
        item_texts={str(n): item_texts[n].strip() for n in sorted(numbers)},
        option_labels={
            str(item): {str(value): label for value, label in labels.items()}
            for item, labels in (option_labels or {}).items()
        },
        licence_reference=licence_reference.strip(),
        loaded_by=actor,
    )
    audit_change_record(
        actor=actor,
        instance=wording,
        action="instrument_wording.loaded",
        changes={
            "instrument_code": [None, instrument.code],
            "language": [None, language],
            "licence_reference": [None, wording.licence_reference],
        },
    )
    return wording


@transaction.atomic
def measurement_schedule_create(
    *, actor: Any, patient: Patient, instruments: Sequence[str], course: CourseDates
) -> list[MeasurementDue]:
    require(actor, Perm.MEASURE_SCHEDULE, center_id=patient.center_id)
    for code in instruments:
        instrument_get(code)
    try:
        planned = measurement_schedule(instruments=instruments, course=course)
    except ValueError as error:
        raise RuleViolation(str(error), code="schedule_invalid") from None
    rows = [
        MeasurementDue(
            patient=patient,
            instrument_code=entry.instrument_code,
            kind=entry.kind.value,
            due_on=entry.due_on,
            overdue_after_days=entry.overdue_after_days,
            created_by=actor,
        )
        for entry in planned
    ]
    MeasurementDue.objects.bulk_create(rows)
    audit_change_record(
        actor=actor,
        instance=patient,
        action="measurement_schedule.created",
        changes={
            "instruments": [None, list(instruments)],
            "due_dates": [None, len(rows)],
            "first_due_on": [None, planned[0].due_on],
            "last_due_on": [None, planned[-1].due_on],
        },
    )
    return rows


@transaction.atomic
def measurement_reminders_queue(*, today: dt.date) -> list[OutgoingMessage]:
    """Queue one reminder per patient contact for every questionnaire due today and not done."""
    due_today = (
        MeasurementDue.objects.select_for_update()
        .filter(due_on=today, completed_at__isnull=True, cancelled_at__isnull=True, reminded_at__isnull=True)
        .select_related("patient")
    )
    queued = []
    for due in due_today:
        patient = due.patient
        for channel, address in (
            (OutgoingMessage.Channel.EMAIL, patient.email),
            (OutgoingMessage.Channel.SMS, patient.phone),
        ):
            if address:
                queued.append(
                    OutgoingMessage(
                        patient=patient,
                        due=due,
                        channel=channel,
                        to=address,
                        subject=_("A short questionnaire from your care team"),
                    )
                )
        due.reminded_at = timezone.now()
        due.save(update_fields=["reminded_at"])
    OutgoingMessage.objects.bulk_create(queued)
    return queued


def outgoing_message_send(*, message: OutgoingMessage) -> OutgoingMessage:
    """Make a fresh link and send it; the token lives only in the message that leaves."""
    due = message.due
    assert due is not None
    with transaction.atomic():
        _link, token = questionnaire_link_create(
            actor=None,
            patient=message.patient,
            instrument_code=due.instrument_code,
            language=patient_language(message.patient),
            due=due,
        )
    body = _(
        "Hello from your care team. Please answer a short questionnaire before your next visit: %(url)s "
        "The link works once and expires in %(hours)s hours. If you are in crisis, call or text 988."
    ) % {"url": questionnaire_link_url(token), "hours": settings.KETACLINIC_QUESTIONNAIRE_LINK_HOURS}
    return outgoing_message_deliver(message=message, body=body)


def outgoing_message_deliver(*, message: OutgoingMessage, body: str) -> OutgoingMessage:
    """Send a message's body by its channel; a transport failure is recorded on the message."""
    try:
        if message.channel == OutgoingMessage.Channel.EMAIL:
            send_mail(message.subject, body, None, [message.to], fail_silently=False)
        else:
            text_message_backend().send(TextMessage(to=message.to, body=body))
    except Exception as error:  # noqa: BLE001 - any transport failure is recorded on the message
        outgoing_message_mark(message, OutgoingMessage.Status.FAILED, error=f"{type(error).__name__}: {error}")
        return message
    outgoing_message_mark(message, OutgoingMessage.Status.SENT)
    return message


def outgoing_message_mark(message: OutgoingMessage, status: str, *, error: str = "") -> None:
    message.status, message.error = status, error
    message.sent_at = timezone.now() if status == OutgoingMessage.Status.SENT else None
    message.save(update_fields=["status", "error", "sent_at"])
