from __future__ import annotations

from django.urls import include, path

from ketaclinic.api import api_urls
from ketaclinic.audit import views as audit_views
from ketaclinic.intake import consultation_views
from ketaclinic.intake import views as intake_views
from ketaclinic.measures import views as measure_views
from ketaclinic.messaging import views as messaging_views
from ketaclinic.patients import consent_views, emergency_access_views
from ketaclinic.patients import views as patient_views
from ketaclinic.pharmacy import views as pharmacy_views
from ketaclinic.portal import confirmation_views
from ketaclinic.portal import views as portal_views
from ketaclinic.sessions import chart_views, rems_views
from ketaclinic.sessions import views as session_views
from ketaclinic.staff import center_views
from ketaclinic.staff import views as staff_views
from ketaclinic.treatment import views as treatment_views

account_urls = (
    [
        path("login/", staff_views.login_view, name="login"),
        path("logout/", staff_views.logout_view, name="logout"),
        path("verify/", staff_views.verify_view, name="verify"),
        path("mfa/setup/", staff_views.mfa_setup_view, name="mfa_setup"),
    ],
    "accounts",
)

clinic_urls = (
    [
        path("", center_views.center_list_view, name="centers"),
        path("switch/", center_views.center_switch_view, name="switch"),
    ],
    "clinics",
)

patient_urls = (
    [
        path("", patient_views.patient_list_view, name="list"),
        path("new/", patient_views.patient_create_view, name="create"),
        path("emergency-access/", patient_views.emergency_access_view, name="emergency_access"),
        path("<uuid:patient_id>/", patient_views.patient_chart_view, name="chart"),
        path("<uuid:patient_id>/edit/", patient_views.patient_edit_view, name="edit"),
        path("<uuid:patient_id>/care-team/", patient_views.care_team_view, name="care_team"),
        path("<uuid:patient_id>/care-team/add/", patient_views.care_team_add_view, name="care_team_add"),
        path(
            "<uuid:patient_id>/care-team/<uuid:member_id>/edit/",
            patient_views.care_team_edit_view,
            name="care_team_edit",
        ),
        path(
            "<uuid:patient_id>/care-team/<uuid:member_id>/entered-in-error/",
            patient_views.care_team_error_view,
            name="care_team_error",
        ),
        path("<uuid:patient_id>/allergies/add/", patient_views.allergy_add_view, name="allergy_add"),
        path(
            "<uuid:patient_id>/allergies/<uuid:allergy_id>/entered-in-error/",
            patient_views.allergy_error_view,
            name="allergy_error",
        ),
        path("<uuid:patient_id>/alerts/add/", patient_views.alert_raise_view, name="alert_raise"),
        path(
            "<uuid:patient_id>/alerts/<uuid:alert_id>/resolve/",
            patient_views.alert_resolve_view,
            name="alert_resolve",
        ),
        path("<uuid:patient_id>/history/", patient_views.history_view, name="history"),
        path("<uuid:patient_id>/pregnancy-tests/", patient_views.pregnancy_tests_view, name="pregnancy_tests"),
        path("<uuid:patient_id>/consents/", consent_views.consent_list_view, name="consents"),
        path("<uuid:patient_id>/consents/<slug:route>/sign/", consent_views.consent_sign_view, name="consent_sign"),
        path(
            "<uuid:patient_id>/consents/<uuid:signature_id>/pdf/",
            consent_views.consent_pdf_view,
            name="consent_pdf",
        ),
    ],
    "patients",
)

audit_urls = (
    [
        path("", audit_views.audit_report_view, name="report"),
        path("emergency-access/", emergency_access_views.emergency_review_list_view, name="emergency_reviews"),
        path(
            "emergency-access/<uuid:grant_id>/review/",
            emergency_access_views.emergency_review_view,
            name="emergency_review",
        ),
    ],
    "audit",
)

measure_urls = (
    [
        path("due/", measure_views.due_list_view, name="due_list"),
        path("alerts/", measure_views.alert_queue_view, name="alert_queue"),
        path("alerts/<uuid:alert_id>/acknowledge/", measure_views.alert_acknowledge_view, name="alert_acknowledge"),
        path("instruments/", measure_views.instrument_list_view, name="instruments"),
        path("instruments/<slug:code>/wording/", measure_views.wording_load_view, name="wording_load"),
        path("patients/<uuid:patient_id>/", measure_views.patient_measures_view, name="patient"),
        path("patients/<uuid:patient_id>/start/", measure_views.response_start_view, name="start"),
        path("patients/<uuid:patient_id>/links/", measure_views.link_create_view, name="link_create"),
        path("patients/<uuid:patient_id>/schedule/", measure_views.schedule_create_view, name="schedule_create"),
        path("patients/<uuid:patient_id>/enter/<slug:code>/", measure_views.response_enter_view, name="enter"),
        path(
            "patients/<uuid:patient_id>/responses/<uuid:response_id>/",
            measure_views.response_view,
            name="response",
        ),
    ],
    "measures",
)

intake_urls = (
    [
        path("", intake_views.queue_view, name="queue"),
        path("<uuid:request_id>/", intake_views.detail_view, name="detail"),
        path("<uuid:request_id>/register/", intake_views.register_view, name="register"),
        path("<uuid:request_id>/book/", intake_views.book_view, name="book"),
    ],
    "intake",
)

consultation_urls = (
    [
        path("", consultation_views.consultation_view, name="start"),
        path("<uuid:consultation_id>/", consultation_views.consultation_record_view, name="record"),
        path("<uuid:consultation_id>/trials/", consultation_views.prior_trial_add_view, name="trial_add"),
        path("<uuid:consultation_id>/decide/", consultation_views.decision_sign_view, name="decide"),
        path("<uuid:consultation_id>/letters/<uuid:member_id>/", messaging_views.letter_view, name="letter"),
    ],
    "consultations",
)

treatment_urls = (
    [
        path("re-evaluation/", treatment_views.re_evaluation_queue_view, name="re_evaluation"),
        path("patients/<uuid:patient_id>/", treatment_views.plan_tab_view, name="plans"),
        path("patients/<uuid:patient_id>/<uuid:plan_id>/", treatment_views.plan_view, name="plan"),
    ],
    "treatment",
)

session_urls = (
    [
        path("day/", session_views.day_view, name="day"),
        path("week/", session_views.week_view, name="week"),
        path("patients/<uuid:patient_id>/", session_views.patient_sessions_view, name="patient"),
        path("<uuid:session_id>/close/", session_views.session_close_view, name="close"),
        path("<uuid:session_id>/flowsheet/", session_views.flowsheet_view, name="flowsheet"),
        path(
            "<uuid:session_id>/readings/<uuid:reading_id>/alerts/<int:position>/acknowledge/",
            chart_views.alert_acknowledge_view,
            name="alert_acknowledge",
        ),
        path("<uuid:session_id>/checklist/", session_views.checklist_view, name="checklist"),
        path("<uuid:session_id>/checklist/override/", session_views.checklist_override_view, name="checklist_override"),
        path(
            "<uuid:session_id>/checklist/suicide-risk-review/",
            session_views.suicide_risk_review_view,
            name="suicide_risk_review",
        ),
        path("board/", session_views.chair_board_view, name="board"),
        path("rems/", rems_views.rems_queue_view, name="rems_queue"),
        path("<uuid:session_id>/rems/", rems_views.rems_form_view, name="rems_form"),
        path("<uuid:session_id>/rems/pdf/", rems_views.rems_form_pdf_view, name="rems_form_pdf"),
        path("<uuid:session_id>/rems/submit/", rems_views.rems_form_submit_view, name="rems_form_submit"),
        path("<uuid:session_id>/dose/", chart_views.dose_prepare_view, name="dose_prepare"),
        path("<uuid:session_id>/dose/verify/", chart_views.dose_verify_view, name="dose_verify"),
        path("<uuid:session_id>/dose/step/", chart_views.dose_step_view, name="dose_step"),
        path("<uuid:session_id>/dose/waste/", chart_views.waste_view, name="dose_waste"),
        path("<uuid:session_id>/dose/withdraw/", chart_views.dose_withdraw_view, name="dose_withdraw"),
        path("<uuid:session_id>/interventions/", chart_views.intervention_view, name="intervention"),
        path("<uuid:session_id>/discharge/", chart_views.discharge_view, name="discharge"),
        path("<uuid:session_id>/note/", chart_views.note_view, name="note"),
        path("<uuid:session_id>/note/sign/", chart_views.note_sign_view, name="note_sign"),
        path("<uuid:session_id>/note/amend/", chart_views.note_amend_view, name="note_amend"),
    ],
    "sessions",
)

pharmacy_urls = ([path("<slug:center_slug>/", pharmacy_views.stock_view, name="stock")], "pharmacy")

portal_urls = ([path("<str:token>/", portal_views.questionnaire_view, name="questionnaire")], "portal")

confirmation_urls = ([path("<str:token>/", confirmation_views.confirmation_view, name="confirm")], "confirmations")

urlpatterns = [
    path("", center_views.home_view, name="home"),
    path("healthz", staff_views.health_view, name="health"),
    path("accounts/", include(account_urls)),
    path("centers/", include(clinic_urls)),
    path("patients/", include(patient_urls)),
    path("audit/", include(audit_urls)),
    path("measures/", include(measure_urls)),
    path("q/", include(portal_urls)),
    path("c/", include(confirmation_urls)),
    path("intake/", include(intake_urls)),
    path("plans/", include(treatment_urls)),
    path("sessions/", include(session_urls)),
    path("", include("ketaclinic.fhir.urls")),
    path("pharmacy/", include(pharmacy_urls)),
    path("api/v1/", api_urls()),
    path("patients/<uuid:patient_id>/consultation/", include(consultation_urls)),
    path(
        "visit/<slug:center_slug>/consultation/",
        intake_views.consultation_request_view,
        name="consultation_request",
    ),
]

handler404 = "ketaclinic.http_errors.not_found_view"
handler403 = "ketaclinic.http_errors.forbidden_view"
