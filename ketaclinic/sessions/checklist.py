"""The pre-session checklist: what the nurse confirms and what the record already shows.

Items the record can answer (consent, pre-dose vitals, today's questionnaire) are filled from
it; the nurse confirms the rest. A failed item blocks the start until a prescriber overrides it
with a written reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.audit.services import audit_change_since, snapshot
from ketaclinic.clinics.authorization import require
from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.permissions import Perm
from ketaclinic.measures.models import QuestionnaireResponse
from ketaclinic.patients.consents import consent_current
from ketaclinic.sessions.models import PreSessionCheck, TreatmentSession, VitalSign

NURSE_ITEMS = {
    "identity": _("Identity confirmed with two identifiers"),
    "fasting": _("Fasting as the protocol asks"),
    "escort": _("Escort home arranged; no driving today"),
    "no_new_medicines_or_symptoms": _("No new medicines or symptoms since the last visit (or reviewed)"),
    "pregnancy": _("Pregnancy excluded where it applies"),
}
RECORD_ITEMS = {
    "consent": _("Current signed consent for the route"),
    "predose_vitals": _("Pre-dose vitals in the last 30 minutes, within the protocol's limits"),
    "questionnaire": _("Today's pre-session questionnaire completed"),
}
PREDOSE_WINDOW = dt.timedelta(minutes=30)
# Consent is the patient's own decision: no one may override its absence (issue #5).
NOT_OVERRIDABLE = frozenset({"consent"})


def _record_answers(session: TreatmentSession, now: dt.datetime) -> dict[str, dict[str, Any]]:
    # "Today" and the times shown are the center's.
    with timezone.override(session.patient.center.zone):
        return _answers_from_record(session, now)


def _answers_from_record(session: TreatmentSession, now: dt.datetime) -> dict[str, dict[str, Any]]:
    consent = consent_current(patient=session.patient, route=session.plan.route)
    vitals = (
        VitalSign.objects.in_use()
        .filter(session=session, measured_at__gte=now - PREDOSE_WINDOW, measured_at__lte=now)
        .order_by("-measured_at")
        .first()
    )
    today = timezone.localdate()
    # The plan's own scales count; a screening questionnaire the same morning does not.
    scales = session.plan.measurement_instruments or ["phq9"]
    questionnaire = (
        QuestionnaireResponse.objects.in_use()
        .filter(patient_id=session.patient_id, status="completed", completed_at__date=today, instrument_code__in=scales)
        .exists()
    )
    return {
        "consent": {
            "ok": consent is not None,
            "how": f"signed {consent.signed_at:%Y-%m-%d}" if consent else "no current consent on file",
        },
        "predose_vitals": {
            "ok": vitals is not None and not vitals.alerts,
            "how": ("; ".join(vitals.alerts) or f"taken {timezone.localtime(vitals.measured_at):%H:%M}")
            if vitals
            else "none in the last 30 minutes",
        },
        "questionnaire": {"ok": questionnaire, "how": "completed today" if questionnaire else "not done today"},
    }


@transaction.atomic
def pre_session_check_record(*, actor: Any, session: TreatmentSession, confirmed: dict[str, bool]) -> PreSessionCheck:
    require(actor, Perm.VITALS_RECORD, center_id=session.patient.center_id)
    now = timezone.now()
    items = {
        item: {
            "ok": bool(confirmed.get(item)),
            "how": "confirmed by the nurse" if confirmed.get(item) else "not confirmed",
        }
        for item in NURSE_ITEMS
    }
    items |= _record_answers(session, now)
    check = PreSessionCheck.objects.create(session=session, items=items, checked_by=actor, checked_at=now)
    audit_change_since(actor=actor, instance=check, action="pre_session_check.recorded", before={})
    return check


@transaction.atomic
def pre_session_override(*, actor: Any, check: PreSessionCheck, item: str, reason: str) -> PreSessionCheck:
    """A prescriber lets the session go ahead despite one failed item, and says why."""
    require(actor, Perm.PLAN_SIGN, center_id=check.session.patient.center_id)
    check = PreSessionCheck.objects.select_for_update().select_related("session__patient").get(pk=check.pk)
    if item not in check.items or check.items[item]["ok"]:
        raise RuleViolation(_("Only a failed item can be overridden."), code="nothing_to_override", field="item")
    if item in NOT_OVERRIDABLE:
        raise RuleViolation(
            _("No session starts without current consent; it cannot be overridden."),
            code="not_overridable",
            field="item",
        )
    if check.overrides:
        raise RuleViolation(_("One item may be overridden; run the checklist again."), code="one_override_only")
    if len(reason.strip()) < 10:
        raise RuleViolation(_("Write the clinical reason for the override."), code="reason_required", field="reason")
    before = snapshot(check)
    check.overrides = check.overrides | {
        item: {"reason": reason.strip(), "by": actor.get_username(), "at": timezone.now().isoformat()}
    }
    check.save()
    audit_change_since(actor=actor, instance=check, action="pre_session_check.overridden", before=before, reason=reason)
    return check


def session_start_check(*, session: TreatmentSession) -> PreSessionCheck:
    """The latest checklist, if it lets the dose start; otherwise say what is still open."""
    check = PreSessionCheck.objects.in_use().filter(session=session).order_by("-checked_at").first()
    if check is None:
        raise RuleViolation(_("Complete the pre-session checklist first."), code="checklist_missing")
    if not check.passed:
        labels = NURSE_ITEMS | RECORD_ITEMS
        raise RuleViolation(
            _("The checklist has open items: %(items)s.")
            % {"items": "; ".join(str(labels[i]) for i in check.open_items)},
            code="checklist_open",
        )
    return check
