"""Every action an audit entry can name, in one list.

The values are what entries store and what each row's MAC covers, so a value never changes once
written: a new spelling is a new member, and the old one stays for the entries that hold it.
Some values read oddly for that reason (``dose.pause``, ``careteammember.created``,
``view.center_list_view``): they keep the spelling they were first written with.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Self

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class AuditAction(StrEnum):
    """What happened, as an entry stores it; ``label`` says it to the people reading the trail."""

    label: Promise

    def __new__(cls, value: str, label: Promise) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    # Sign-in and the second factor.
    STAFF_SIGNED_IN = "staff.signed_in", _("Signed in")
    STAFF_SIGNED_OUT = "staff.signed_out", _("Signed out")
    STAFF_MFA_ENROLLED = "staff.mfa_enrolled", _("Second factor enrolled")
    STAFF_MFA_VERIFIED = "staff.mfa_verified", _("Second factor verified")
    STAFF_MFA_FAILED = "staff.mfa_failed", _("Second factor refused")

    # The audit trail itself, and reviews of emergency access.
    AUDIT_REPORT_VIEWED = "audit.report_viewed", _("Audit report viewed")
    AUDIT_CSV_EXPORTED = "audit.csv_exported", _("Audit report exported")
    AUDIT_EMERGENCY_REVIEWS_VIEWED = "audit.emergency_reviews_viewed", _("Emergency access reviews viewed")
    EMERGENCY_ACCESS_REVIEWED = "emergency_access.reviewed", _("Emergency access reviewed")
    # A staff page that answered 403 or 404: the attempt, never what the page would have shown.
    ACCESS_REFUSED = "access.refused", _("Access refused")

    # Centers. These two views once took the decorator's default, ``view.<function name>``.
    CENTER_LIST_VIEWED = "view.center_list_view", _("Centers viewed")
    CENTER_SWITCHED = "view.center_switch_view", _("Center switched")

    # Patients: registration, the chart, emergency access.
    PATIENT_LISTED = "patient.listed", _("Patient list viewed")
    PATIENT_CREATED = "patient.created", _("Patient registered")
    PATIENT_UPDATED = "patient.updated", _("Patient details changed")
    PATIENT_EDITED = "patient.edited", _("Patient details opened for editing")
    PATIENT_CHART_VIEWED = "patient.chart_viewed", _("Chart viewed")
    PATIENT_CARE_TEAM_VIEWED = "patient.care_team_viewed", _("Care team viewed")
    PATIENT_HISTORY_VIEWED = "patient.history_viewed", _("Record history viewed")
    PATIENT_EMERGENCY_ACCESS_REQUESTED = "patient.emergency_access_requested", _("Emergency access requested")
    PATIENT_EMERGENCY_ACCESS_GRANTED = "patient.emergency_access_granted", _("Emergency access granted")

    # The care team.
    CARE_TEAM_MEMBER_ADDED = "care_team_member.added", _("Care team member added")
    CARE_TEAM_MEMBER_EDITED = "care_team_member.edited", _("Care team member opened for editing")
    CARE_TEAM_MEMBER_UPDATED = "care_team_member.updated", _("Care team member changed")
    CARE_TEAM_MEMBER_ENTERED_IN_ERROR = "care_team_member.entered_in_error", _("Care team member entered in error")
    CARE_TEAM_MEMBER_CREATED = "careteammember.created", _("Care team member created")

    # Allergies.
    ALLERGY_RECORDED = "allergy.recorded", _("Allergy recorded")
    ALLERGY_ENTERED_IN_ERROR = "allergy.entered_in_error", _("Allergy entered in error")
    ALLERGY_CREATED = "allergy.created", _("Allergy created")

    # Alerts on the patient's record.
    PATIENT_ALERT_RAISED = "patient_alert.raised", _("Alert raised")
    PATIENT_ALERT_ACKNOWLEDGED = "patient_alert.acknowledged", _("Alert acknowledged")
    PATIENT_ALERT_ESCALATED = "patient_alert.escalated", _("Alert escalated")
    PATIENT_ALERT_RESOLVED = "patient_alert.resolved", _("Alert resolved")

    # Pregnancy tests.
    PREGNANCY_TESTS_VIEWED = "pregnancy_tests.viewed", _("Pregnancy tests viewed")
    PREGNANCY_TEST_RECORDED = "pregnancy_test.recorded", _("Pregnancy test recorded")
    PREGNANCY_TEST_ENTERED_IN_ERROR = "pregnancy_test.entered_in_error", _("Pregnancy test entered in error")

    # Consent.
    CONSENTS_VIEWED = "consents.viewed", _("Consents viewed")
    CONSENT_SIGN_OPENED = "consent.sign_opened", _("Consent opened for signing")
    CONSENT_SIGNED = "consent.signed", _("Consent signed")
    CONSENT_PDF_DOWNLOADED = "consent.pdf_downloaded", _("Signed consent downloaded")
    CONSENT_DOCUMENT_PUBLISHED = "consent_document.published", _("Consent document published")

    # Intake: consultation requests.
    CONSULTATION_REQUESTS_LISTED = "consultation_requests.listed", _("Consultation requests listed")
    CONSULTATION_REQUEST_RECEIVED = "consultation_request.received", _("Consultation request received")
    CONSULTATION_REQUEST_VIEWED = "consultation_request.viewed", _("Consultation request viewed")
    CONSULTATION_REQUEST_UPDATED = "consultation_request.updated", _("Consultation request changed")
    CONSULTATION_REQUEST_REGISTERED = "consultation_request.registered", _("Consultation request registered")
    CONSULTATION_REQUEST_BOOKED = "consultation_request.booked", _("Consultation booked")

    # Intake: the consultation, prior trials, the eligibility decision, the letter.
    CONSULTATION_STARTED = "consultation.started", _("Consultation started")
    CONSULTATION_VIEWED = "consultation.viewed", _("Consultation viewed")
    CONSULTATION_UPDATED = "consultation.updated", _("Consultation changed")
    CONSULTATION_AMENDED = "consultation.amended", _("Signed consultation amended")
    PRIOR_TRIAL_ADDED = "prior_trial.added", _("Prior treatment trial added")
    ELIGIBILITY_DECISION_SIGNED = "eligibility_decision.signed", _("Eligibility decision signed")
    CONSULTATION_LETTER_GENERATED = "consultation_letter.generated", _("Consultation letter generated")

    # Measures: questionnaires, links, schedules, risk alerts, instrument wording.
    MEASURES_VIEWED = "measures.viewed", _("Measures viewed")
    MEASURES_ENTRY_CHOSEN = "measures.entry_chosen", _("Questionnaire chosen for entry")
    MEASURES_DUE_LIST_VIEWED = "measures.due_list_viewed", _("Due questionnaires viewed")
    QUESTIONNAIRE_RESPONSE_ENTRY_OPENED = "questionnaire_response.entry_opened", _("Questionnaire opened for entry")
    QUESTIONNAIRE_RESPONSE_SAVED = "questionnaire_response.saved", _("Questionnaire saved")
    QUESTIONNAIRE_RESPONSE_COMPLETED = "questionnaire_response.completed", _("Questionnaire completed")
    QUESTIONNAIRE_RESPONSE_VIEWED = "questionnaire_response.viewed", _("Questionnaire viewed")
    QUESTIONNAIRE_RESPONSE_EXPORTED = "questionnaire_response.exported", _("Questionnaire exported")
    QUESTIONNAIRE_LINK_CREATED = "questionnaire_link.created", _("Questionnaire link sent")
    QUESTIONNAIRE_LINK_IDENTITY_CONFIRMED = "questionnaire_link.identity_confirmed", _("Link holder confirmed identity")
    QUESTIONNAIRE_LINK_IDENTITY_FAILED = "questionnaire_link.identity_failed", _("Link holder failed identity check")
    MEASUREMENT_SCHEDULE_CREATED = "measurement_schedule.created", _("Questionnaire schedule set")
    RISK_ALERTS_QUEUE_VIEWED = "risk_alerts.queue_viewed", _("Risk alert queue viewed")
    INSTRUMENTS_VIEWED = "instruments.viewed", _("Questionnaire library viewed")
    INSTRUMENT_WORDING_LOAD_OPENED = "instrument_wording.load_opened", _("Questionnaire wording upload opened")
    INSTRUMENT_WORDING_LOADED = "instrument_wording.loaded", _("Questionnaire wording loaded")

    # Treatment plans.
    TREATMENT_PLAN_VIEWED = "treatment_plan.viewed", _("Treatment plan viewed")
    TREATMENT_PLAN_SIGNED = "treatment_plan.signed", _("Treatment plan signed")
    TREATMENT_PLAN_CEILING_RAISED = "treatment_plan.ceiling_raised", _("Dose ceiling raised")
    TREATMENT_PLANS_RE_EVALUATION_QUEUE_VIEWED = (
        "treatment_plans.re_evaluation_queue_viewed",
        _("Re-evaluation queue viewed"),
    )

    # Sessions: the calendar, booking, closing, confirmation by the patient.
    SESSIONS_DAY_VIEWED = "sessions.day_viewed", _("Day list viewed")
    SESSIONS_WEEK_VIEWED = "sessions.week_viewed", _("Week viewed")
    SESSIONS_PATIENT_VIEWED = "sessions.patient_viewed", _("Patient's sessions viewed")
    TREATMENT_SESSION_BOOKED = "treatment_session.booked", _("Session booked")
    TREATMENT_SESSION_CLOSED = "treatment_session.closed", _("Session cancellation opened")
    TREATMENT_SESSION_CANCELLED = "treatment_session.cancelled", _("Session cancelled")
    TREATMENT_SESSION_NO_SHOW = "treatment_session.no_show", _("Session marked not attended")
    TREATMENT_SESSION_COMPLETED = "treatment_session.completed", _("Session completed")
    TREATMENT_SESSION_CREATED = "treatmentsession.created", _("Session created")
    SESSION_CONFIRMATION_CREATED = "session_confirmation.created", _("Session confirmation requested")
    SESSION_CONFIRMATION_IDENTITY_CONFIRMED = (
        "session_confirmation.identity_confirmed",
        _("Confirmation link holder confirmed identity"),
    )
    SESSION_CONFIRMATION_IDENTITY_FAILED = (
        "session_confirmation.identity_failed",
        _("Confirmation link holder failed identity check"),
    )
    SESSION_CONFIRMATION_ANSWERED = "session_confirmation.answered", _("Session confirmation answered")

    # Sessions: the chair board, the flowsheet, vital signs and the monitors that send them.
    CHAIR_BOARD_VIEWED = "chair_board.viewed", _("Chair board viewed")
    FLOWSHEET_VIEWED = "flowsheet.viewed", _("Flowsheet viewed")
    VITAL_SIGN_RECORDED = "vital_sign.recorded", _("Vital signs recorded")
    VITAL_SIGN_RECEIVED = "vital_sign.received", _("Vital signs received from a monitor")
    VITAL_SIGN_IMPORTED = "vitalsign.created", _("Vital signs imported in bulk")
    VITAL_SIGN_ALERT_ACKNOWLEDGED = "vital_sign_alert.acknowledged", _("Vital-sign alert acknowledged")
    VITAL_SIGN_ALERT_RESOLVED = "vital_sign_alert.resolved", _("Vital-sign alert resolved by a later reading")
    MONITOR_DEVICE_REGISTERED = "monitor_device.registered", _("Monitor registered")
    MONITOR_DEVICE_RETIRED = "monitor_device.retired", _("Monitor retired")

    # Sessions: the pre-session checklist.
    PRE_SESSION_CHECK_RECORDED = "pre_session_check.recorded", _("Pre-session check recorded")
    PRE_SESSION_CHECK_OVERRIDDEN = "pre_session_check.overridden", _("Pre-session check overridden")
    PRE_SESSION_CHECK_CREATED = "presessioncheck.created", _("Pre-session check created")
    SUICIDE_RISK_REVIEW_DOCUMENTED = "suicide_risk.review_documented", _("Suicide risk review documented")

    # Sessions: the dose, from preparation to waste.
    DOSE_PREPARED = "dose.prepared", _("Dose prepared")
    DOSE_VERIFIED = "dose.verified", _("Dose verified")
    DOSE_STARTED = "dose.started", _("Dose started")
    DOSE_DEVICE_GIVEN = "dose.device_given", _("Nasal spray device used")
    DOSE_STEP = "dose.step", _("Dose step recorded")
    DOSE_PAUSED = "dose.pause", _("Infusion paused")
    DOSE_RESUMED = "dose.resume", _("Infusion resumed")
    DOSE_COMPLETED = "dose.complete", _("Dose completed")
    DOSE_STOPPED = "dose.stop", _("Dose stopped early")
    DOSE_WITHDRAWN = "dose.withdrawn", _("Dose withdrawn")
    DOSE_WASTE_RECORDED = "dose.waste_recorded", _("Dose waste recorded")
    DOSE_ADMINISTRATION_CREATED = "doseadministration.created", _("Dose created")

    # Sessions: timed events on the flowsheet, one per SessionEvent.Kind.
    SESSION_EVENT_DOSE_STARTED = "session_event.dose_started", _("Event: dose started")
    SESSION_EVENT_DEVICE_GIVEN = "session_event.device_given", _("Event: nasal spray device used")
    SESSION_EVENT_PAUSED = "session_event.paused", _("Event: paused")
    SESSION_EVENT_RESUMED = "session_event.resumed", _("Event: resumed")
    SESSION_EVENT_STOPPED = "session_event.stopped", _("Event: stopped early")
    SESSION_EVENT_DOSE_COMPLETED = "session_event.dose_completed", _("Event: dose completed")
    SESSION_EVENT_INTERVENTION = "session_event.intervention", _("Event: intervention")
    SESSION_EVENT_CREATED = "sessionevent.created", _("Event created")

    # Sessions: discharge and the session note.
    DISCHARGE_ASSESSED = "discharge.assessed", _("Discharge assessed")
    DISCHARGE_ASSESSMENT_CREATED = "dischargeassessment.created", _("Discharge assessment created")
    SESSION_NOTE_WRITTEN = "session_note.written", _("Session note written")
    SESSION_NOTE_DRAFTED = "session_note.drafted", _("Session note drafted")
    SESSION_NOTE_EDITED = "session_note.edited", _("Session note changed")
    SESSION_NOTE_SIGNED = "session_note.signed", _("Session note signed")
    SESSION_NOTE_AMENDED = "session_note.amended", _("Session note amended")
    SESSION_NOTE_CREATED = "sessionnote.created", _("Session note created")

    # Sessions: the REMS programme.
    REMS_ENROLLMENT_RECORDED = "rems_enrollment.recorded", _("REMS enrollment recorded")
    REMS_QUEUE_VIEWED = "rems_queue.viewed", _("REMS queue viewed")
    REMS_FORM_VIEWED = "rems_form.viewed", _("REMS form viewed")
    REMS_FORM_OPENED = "rems_form.opened", _("REMS form started")
    REMS_FORM_EDITED = "rems_form.edited", _("REMS form changed")
    REMS_FORM_REFILLED = "rems_form.refilled", _("REMS form filled again from the record")
    REMS_FORM_SIGNED = "rems_form.signed", _("REMS form signed")
    REMS_FORM_PDF_VIEWED = "rems_form.pdf_viewed", _("REMS form printed")
    REMS_FORM_SUBMISSION_RECORDED = "rems_form.submission_recorded", _("REMS submission entered")
    REMS_FORM_SUBMITTED = "rems_form.submitted", _("REMS form submitted")
    REMS_FORM_STATUS_CHANGED = "rems_form.status_changed", _("REMS form status changed")

    # Sessions sent to other systems.
    SESSION_FHIR_EXPORTED = "session.fhir_exported", _("Session exported as FHIR")

    # The drug stock.
    PHARMACY_STOCK_VIEWED = "pharmacy.stock_viewed", _("Drug stock viewed")
    DRUG_LOT_CREATED = "drug_lot.created", _("Drug lot added")
    STOCK_RECEIVED = "stock.received", _("Stock received")
    STOCK_DRAWN = "stock.drawn", _("Stock drawn for a dose")
    STOCK_WASTED = "stock.wasted", _("Stock wasted")
    STOCK_ADJUSTED = "stock.adjusted", _("Stock adjusted after a count")


# Clinical rows created in bulk (the demo's seeding) get one history entry each, under their
# model's action; a model missing here cannot be bulk-created. Keyed by the model's label.
BULK_CREATED: Mapping[str, AuditAction] = MappingProxyType(
    {
        "patients.patient": AuditAction.PATIENT_CREATED,
        "patients.allergy": AuditAction.ALLERGY_CREATED,
        "patients.careteammember": AuditAction.CARE_TEAM_MEMBER_CREATED,
        "treatment_sessions.treatmentsession": AuditAction.TREATMENT_SESSION_CREATED,
        "treatment_sessions.presessioncheck": AuditAction.PRE_SESSION_CHECK_CREATED,
        "treatment_sessions.doseadministration": AuditAction.DOSE_ADMINISTRATION_CREATED,
        "treatment_sessions.sessionevent": AuditAction.SESSION_EVENT_CREATED,
        "treatment_sessions.dischargeassessment": AuditAction.DISCHARGE_ASSESSMENT_CREATED,
        "treatment_sessions.sessionnote": AuditAction.SESSION_NOTE_CREATED,
        "treatment_sessions.vitalsign": AuditAction.VITAL_SIGN_IMPORTED,
    }
)
