"""Who may do what: the one table that maps each staff role to its allowed actions.

Every view and service checks an action from ``Perm`` against this table; nothing else
grants access. A role missing from an action's row is refused.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CENTER_ADMIN = "center_admin"
    PRESCRIBER = "prescriber"
    NURSE = "nurse"
    THERAPIST = "therapist"
    FRONT_DESK = "front_desk"
    RESEARCHER = "researcher"
    MEDICAL_DIRECTOR = "medical_director"


class Perm(StrEnum):
    PATIENT_LIST = "patient.list"
    PATIENT_VIEW = "patient.view"
    PATIENT_CREATE = "patient.create"
    PATIENT_EDIT = "patient.edit"
    ALLERGY_EDIT = "allergy.edit"
    CARE_TEAM_EDIT = "care_team.edit"
    RECORD_HISTORY_VIEW = "record_history.view"
    EMERGENCY_ACCESS = "patient.emergency_access"
    AUDIT_VIEW = "audit.view"
    AUDIT_REVIEW = "audit.review"
    CENTER_VIEW = "center.view"
    MEASURE_VIEW = "measure.view"
    MEASURE_ENTER = "measure.enter"
    MEASURE_RATE = "measure.rate"
    MEASURE_LINK_SEND = "measure.link_send"
    MEASURE_SCHEDULE = "measure.schedule"
    RISK_ALERT_ACKNOWLEDGE = "risk_alert.acknowledge"
    INSTRUMENT_WORDING_LOAD = "instrument.wording_load"
    INTAKE_VIEW = "intake.view"
    INTAKE_MANAGE = "intake.manage"
    CONSULTATION_VIEW = "consultation.view"
    CONSULTATION_WRITE = "consultation.write"
    ELIGIBILITY_DECIDE = "eligibility.decide"
    CONSENT_VIEW = "consent.view"
    CONSENT_WITNESS = "consent.witness"
    CONSENT_PUBLISH = "consent.publish"
    PLAN_VIEW = "plan.view"
    PLAN_SIGN = "plan.sign"
    PLAN_CEILING_APPROVE = "plan.ceiling_approve"
    LETTER_SEND = "letter.send"
    SESSION_VIEW = "session.view"
    SESSION_BOOK = "session.book"
    VITALS_RECORD = "vitals.record"
    DOSE_PREPARE = "dose.prepare"
    DOSE_VERIFY = "dose.verify"
    STOCK_MANAGE = "stock.manage"
    SESSION_CHART = "session.chart"
    SESSION_NOTE_SIGN = "session_note.sign"
    REMS_FORM_SIGN = "rems_form.sign"
    REMS_FORM_SUBMIT = "rems_form.submit"


_CLINICAL = {
    Role.CENTER_ADMIN,
    Role.PRESCRIBER,
    Role.NURSE,
    Role.THERAPIST,
    Role.FRONT_DESK,
    Role.MEDICAL_DIRECTOR,
}

# Researchers see de-identified data only, so no action on an identified patient is theirs.
ROLE_PERMISSIONS: dict[Perm, frozenset[Role]] = {
    Perm.PATIENT_LIST: frozenset(_CLINICAL),
    Perm.PATIENT_VIEW: frozenset(_CLINICAL),
    Perm.PATIENT_CREATE: frozenset({Role.CENTER_ADMIN, Role.PRESCRIBER, Role.NURSE, Role.FRONT_DESK}),
    Perm.PATIENT_EDIT: frozenset({Role.CENTER_ADMIN, Role.PRESCRIBER, Role.NURSE, Role.FRONT_DESK}),
    Perm.ALLERGY_EDIT: frozenset({Role.PRESCRIBER, Role.NURSE}),
    Perm.CARE_TEAM_EDIT: frozenset(
        {
            Role.CENTER_ADMIN,
            Role.PRESCRIBER,
            Role.NURSE,
            Role.THERAPIST,
            Role.FRONT_DESK,
        }
    ),
    Perm.RECORD_HISTORY_VIEW: frozenset({Role.CENTER_ADMIN, Role.PRESCRIBER, Role.NURSE}),
    # Emergency access is for the people who treat: a prescriber or nurse covering a
    # patient registered at another center of the same network.
    Perm.EMERGENCY_ACCESS: frozenset({Role.PRESCRIBER, Role.NURSE}),
    Perm.AUDIT_VIEW: frozenset({Role.CENTER_ADMIN}),
    Perm.AUDIT_REVIEW: frozenset({Role.CENTER_ADMIN}),
    Perm.CENTER_VIEW: frozenset(Role),
    Perm.MEASURE_VIEW: frozenset(_CLINICAL),
    # Front desk may read a self-report questionnaire to a patient and key in the answers.
    Perm.MEASURE_ENTER: frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST, Role.FRONT_DESK}),
    # Clinician-rated scales (MADRS, CADSS, MOAA/S) need a trained rater.
    Perm.MEASURE_RATE: frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    Perm.MEASURE_LINK_SEND: frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST, Role.FRONT_DESK}),
    Perm.MEASURE_SCHEDULE: frozenset({Role.CENTER_ADMIN, Role.PRESCRIBER, Role.NURSE}),
    Perm.RISK_ALERT_ACKNOWLEDGE: frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    Perm.INSTRUMENT_WORDING_LOAD: frozenset({Role.CENTER_ADMIN}),
    Perm.INTAKE_VIEW: frozenset({Role.CENTER_ADMIN, Role.PRESCRIBER, Role.NURSE, Role.FRONT_DESK}),
    # Front desk answers inquiries, registers the person and books the consultation.
    Perm.INTAKE_MANAGE: frozenset({Role.CENTER_ADMIN, Role.NURSE, Role.FRONT_DESK}),
    Perm.CONSULTATION_VIEW: frozenset({Role.CENTER_ADMIN, Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    # The consultation and the eligibility decision are the prescriber's, and only theirs.
    Perm.CONSULTATION_WRITE: frozenset({Role.PRESCRIBER}),
    Perm.ELIGIBILITY_DECIDE: frozenset({Role.PRESCRIBER}),
    Perm.CONSENT_VIEW: frozenset(_CLINICAL),
    Perm.CONSENT_WITNESS: frozenset({Role.PRESCRIBER, Role.NURSE, Role.FRONT_DESK}),
    # The consent text is the medical director's; center admins publish its versions.
    Perm.CONSENT_PUBLISH: frozenset({Role.CENTER_ADMIN}),
    Perm.PLAN_VIEW: frozenset({Role.CENTER_ADMIN, Role.PRESCRIBER, Role.NURSE, Role.THERAPIST, Role.MEDICAL_DIRECTOR}),
    Perm.PLAN_SIGN: frozenset({Role.PRESCRIBER}),
    # protocols.md / issue 10: a protocol's mg ceiling is lowered freely, but raised only with
    # the medical director's own signed sign-off; a director who also prescribes holds both roles.
    Perm.PLAN_CEILING_APPROVE: frozenset({Role.MEDICAL_DIRECTOR}),
    Perm.LETTER_SEND: frozenset({Role.PRESCRIBER}),
    Perm.SESSION_VIEW: frozenset(_CLINICAL),
    Perm.SESSION_BOOK: frozenset({Role.CENTER_ADMIN, Role.PRESCRIBER, Role.NURSE, Role.FRONT_DESK}),
    Perm.VITALS_RECORD: frozenset({Role.PRESCRIBER, Role.NURSE}),
    # Controlled-substance handling: one clinician prepares, a different one verifies (the
    # service refuses the same person), and a witness signs for any waste.
    Perm.DOSE_PREPARE: frozenset({Role.PRESCRIBER, Role.NURSE}),
    Perm.DOSE_VERIFY: frozenset({Role.PRESCRIBER, Role.NURSE}),
    # Stock of a Schedule III drug (receiving lots, adjusting counts) is controlled apart from the
    # nurses who draw doses from it; a count adjustment is also witnessed (pharmacy.services).
    Perm.STOCK_MANAGE: frozenset({Role.CENTER_ADMIN, Role.PRESCRIBER, Role.MEDICAL_DIRECTOR}),
    # Starting, pausing and stopping a dose, interventions and discharge.
    Perm.SESSION_CHART: frozenset({Role.PRESCRIBER, Role.NURSE}),
    Perm.SESSION_NOTE_SIGN: frozenset({Role.PRESCRIBER, Role.NURSE}),
    Perm.REMS_FORM_SIGN: frozenset({Role.PRESCRIBER, Role.NURSE}),
    # Sending a signed form by fax or online is clerical; front desk may do it.
    Perm.REMS_FORM_SUBMIT: frozenset({Role.CENTER_ADMIN, Role.PRESCRIBER, Role.NURSE, Role.FRONT_DESK}),
}


def role_allows(role: Role | str, perm: Perm) -> bool:
    return Role(role) in ROLE_PERMISSIONS[perm]


def roles_allowed(perm: Perm) -> frozenset[Role]:
    return ROLE_PERMISSIONS[perm]
