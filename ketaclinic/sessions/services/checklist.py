"""The pre-session checklist: what the nurse confirms and what the record already shows.

Items the record can answer (consent, pre-dose vitals against the protocol's pre-dose limits,
today's questionnaire, suicide-risk findings, a pregnancy test where the protocol asks for one)
are filled from it; the nurse confirms the rest. A failed item blocks the start until a
prescriber overrides it with a written reason, except the items no override may pass: missing
consent, an unreviewed suicide-risk finding (the documented review is the way through) and a
positive pregnancy test. Those are read again from the record when the dose starts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import audit_change_since, snapshot
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.authorization import require
from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.instruments.consistency import SAFETY_ITEM_MISSING
from ketaclinic.core.instruments.definitions import FlagLevel
from ketaclinic.core.instruments.risk import items_behind
from ketaclinic.core.permissions import Perm
from ketaclinic.measures.models import QuestionnaireResponse
from ketaclinic.measures.services.responses import instrument_get
from ketaclinic.patients.models import PatientAlert, PregnancyTest, SexAtBirth
from ketaclinic.patients.selectors.consents import consent_current
from ketaclinic.patients.services.alerts import patient_alert_acknowledge, patient_alert_raise
from ketaclinic.sessions.models import PreSessionCheck, TreatmentSession, VitalSign
from ketaclinic.sessions.protocol_settings import protocol_setting
from ketaclinic.sessions.services.plans import plan_in_force
from ketaclinic.treatment.models import TreatmentPlan

# Lazy, so each label is translated when it is shown, in the reader's language.
NURSE_ITEMS = {
    "identity": gettext_lazy("Identity confirmed with two identifiers"),
    "fasting": gettext_lazy("Fasting as the protocol asks"),
    "escort": gettext_lazy("Escort home arranged; no driving today"),
    "no_new_medicines_or_symptoms": gettext_lazy("No new medicines or symptoms since the last visit (or reviewed)"),
    "pregnancy": gettext_lazy("Pregnancy excluded where it applies"),
}
RECORD_ITEMS = {
    "plan": gettext_lazy("The patient's current signed plan doses this session"),
    "consent": gettext_lazy("Current signed consent for the route"),
    "predose_vitals": gettext_lazy("Pre-dose vitals in the last 30 minutes, within the protocol's limits"),
    "questionnaire": gettext_lazy("Today's pre-session questionnaire completed"),
    "suicide_risk": gettext_lazy("Today's suicide-risk findings and open risk alerts reviewed by a clinician"),
    "pregnancy_test": gettext_lazy("A recent negative pregnancy test where the protocol asks for one"),
}
PREDOSE_WINDOW = dt.timedelta(minutes=30)
# Project default: the nurse's confirmations hold for an hour; the record's items are read
# again at the start itself.
CHECKLIST_VALID_FOR = dt.timedelta(minutes=60)
# Consent is the patient's own decision: no one may override its absence (issue #5). A
# suicide-risk finding is passed by a clinician documenting the review, not by an override
# (measures.md 2.6: high blocks the start until a clinician documents review).
NOT_OVERRIDABLE = frozenset({"consent", "suicide_risk", "plan"})
# measures.md 2.6: high (critical) blocks until a clinician documents review, moderate (urgent)
# needs review before dosing, low (review) waits for the visit; an unanswered safety item is
# urgent too ("ask the question in person before the next dose", core/instruments/risk.py).
RISK_LEVELS_BEFORE_DOSING = frozenset({FlagLevel.URGENT, FlagLevel.CRITICAL})
# Who could be pregnant, from the recorded sex at birth; unknown or undisclosed counts.
PREGNANCY_NOT_APPLICABLE = frozenset({SexAtBirth.MALE})


def _record_answers(session: TreatmentSession, now: dt.datetime) -> dict[str, dict[str, Any]]:
    # "Today" and the times shown are the center's.
    with timezone.override(session.patient.center.zone):
        return _answers_from_record(session, now)


def _setting_number(plan: TreatmentPlan, name: str) -> int | None:
    setting = protocol_setting(plan, name)
    if setting is None or setting.get("value") in (None, ""):
        return None
    return int(str(setting["value"]).split(".")[0])


def _source_label(setting: dict[str, Any] | None) -> str:
    """The short name of where a limit comes from: the part of its source before the colon."""
    return str((setting or {}).get("source") or "").split(":")[0].strip()


def _predose_vitals(session: TreatmentSession, plan: TreatmentPlan, now: dt.datetime) -> dict[str, Any]:
    vitals = (
        VitalSign.objects.in_use()
        .filter(session=session, measured_at__gte=now - PREDOSE_WINDOW, measured_at__lte=now)
        .order_by("-measured_at", "-pk")
        .first()
    )
    if vitals is None:
        return {"ok": False, "how": "none in the last 30 minutes"}
    taken = f"{timezone.localtime(vitals.measured_at):%H:%M}"
    problems = [alert.message_as_written for alert in vitals.reading_alerts]
    systolic, diastolic = vitals.systolic_mmhg, vitals.diastolic_mmhg
    if systolic is None and diastolic is None:
        problems.append(f"no blood pressure in the reading taken {taken}")
    max_systolic = _setting_number(plan, "predose_max_systolic_mmhg")
    max_diastolic = _setting_number(plan, "predose_max_diastolic_mmhg")
    above = (systolic is not None and max_systolic is not None and systolic > max_systolic) or (
        diastolic is not None and max_diastolic is not None and diastolic > max_diastolic
    )
    if above:
        label = _source_label(protocol_setting(plan, "predose_max_systolic_mmhg"))
        problems.append(
            f"BP {systolic if systolic is not None else '-'}/{diastolic if diastolic is not None else '-'} "
            f"is above the protocol's pre-dose limit {max_systolic}/{max_diastolic} ({label}); "
            f"weigh the risk and consider delaying, or recheck"
        )
    return {"ok": not problems, "how": "; ".join(problems) or f"taken {taken}", "reading": str(vitals.external_id)}


def _risk_findings(response: QuestionnaireResponse) -> list[str]:
    """What in a stored result needs a clinician before dosing, in the scale's words."""
    try:
        instrument = instrument_get(response.instrument_code)
    except RuleViolation:
        return []
    safety = set(instrument.safety_items)
    found = []
    for rule in instrument.flags:
        if rule.id not in response.flags or rule.level not in RISK_LEVELS_BEFORE_DOSING:
            continue
        items = items_behind(instrument, rule.when) & safety
        if not items:
            continue
        if list(rule.when.band_keys()):
            # An unfinished C-SSRS reads "Incomplete, at least low", never a plain band.
            found.append(f"{instrument.short_name} {response.band_display or rule.id}")
        else:
            numbers = ", ".join(
                (instrument.item(n).display_number if instrument.item(n) else str(n))  # type: ignore[union-attr]
                for n in sorted(items)
            )
            found.append(f"{instrument.short_name} item {numbers} positive")
    if SAFETY_ITEM_MISSING in response.flags and safety:
        found.append(f"{instrument.short_name} suicide-risk question unanswered")
    return found


def _suicide_risk_state(
    session: TreatmentSession, now: dt.datetime
) -> tuple[list[tuple[QuestionnaireResponse, list[str]]], list[PatientAlert]]:
    """Today's responses with findings no prescriber has reviewed, and the alerts still open for dosing.

    Anyone on the care team may acknowledge a risk alert in the queue, but before a dose the
    review is a prescriber's (the same role that may override a checklist item): an alert
    acknowledged by someone else still stops the start, with who acknowledged it.
    """
    patient_id = session.patient_id
    center_id = session.patient.center_id
    today = timezone.localdate()
    responses = list(
        QuestionnaireResponse.objects.in_use()
        .filter(patient_id=patient_id, status="completed", completed_at__date=today, completed_at__lte=now)
        .order_by("completed_at")
    )
    ids = [str(r.external_id) for r in responses]
    alerts = list(
        PatientAlert.objects.in_use()
        .filter(patient_id=patient_id, kind=PatientAlert.Kind.SUICIDE_RISK)
        .filter(models.Q(resolved_at__isnull=True) | models.Q(source_id__in=ids))
        .select_related("acknowledged_by")
        .order_by("raised_at", "pk")
    )
    prescribers: dict[int, bool] = {}

    def by_prescriber(alert: PatientAlert) -> bool:
        if alert.acknowledged_at is None or alert.acknowledged_by_id is None:
            return False
        if alert.acknowledged_by_id not in prescribers:
            acknowledger = Actor.of(alert.acknowledged_by) if alert.acknowledged_by is not None else None
            prescribers[alert.acknowledged_by_id] = bool(
                acknowledger and acknowledger.can(Perm.PLAN_SIGN, center_id=center_id)
            )
        return prescribers[alert.acknowledged_by_id]

    # A prescriber's review names what it reviewed: a questionnaire response or an earlier alert.
    reviewed = {a.source_id for a in alerts if a.source_id and by_prescriber(a)}
    # An alert a prescriber reviewed stands for what raised it, too.
    reviewed |= {a.source_id for a in alerts if a.source_id and str(a.external_id) in reviewed}
    unreviewed = [
        (response, findings)
        for response in responses
        if (findings := _risk_findings(response)) and str(response.external_id) not in reviewed
    ]
    open_alerts = [
        a
        for a in alerts
        if a.resolved_at is None
        and not by_prescriber(a)
        and str(a.external_id) not in reviewed
        and not (a.source_id and a.source_id in reviewed)
    ]
    return unreviewed, open_alerts


def _alert_state(alert: PatientAlert | None) -> str:
    if alert is None:
        return "no review documented"
    if alert.acknowledged_at is None:
        return "alert not acknowledged"
    return f"alert acknowledged by {alert.acknowledged_by}; a prescriber's review is needed before dosing"


def _suicide_risk(session: TreatmentSession, now: dt.datetime) -> dict[str, Any]:
    unreviewed, open_alerts = _suicide_risk_state(session, now)
    alert_for = {a.source_id: a for a in open_alerts if a.source_id}
    problems = []
    for response, findings in unreviewed:
        assert response.completed_at is not None
        state = _alert_state(alert_for.get(str(response.external_id)))
        problems.append(f"{', '.join(findings)} today at {timezone.localtime(response.completed_at):%H:%M}; {state}")
    shown = {str(r.external_id) for r, _findings in unreviewed}
    for alert in open_alerts:
        if alert.source_id not in shown:
            problems.append(
                f'suicide-risk alert "{alert.message}" raised '
                f"{timezone.localtime(alert.raised_at):%Y-%m-%d %H:%M}; {_alert_state(alert)}"
            )
    return {
        "ok": not problems,
        "how": "; ".join(problems) or "no unreviewed suicide-risk finding today and no open risk alert",
        "overridable": False,
    }


def _pregnancy_test(session: TreatmentSession, plan: TreatmentPlan, now: dt.datetime) -> dict[str, Any] | None:
    """The pregnancy tests on file, where the protocol asks for one or one is on file.

    A positive result stops every dose until a prescriber records a later negative one (a repeat
    test, or serum after urine): a nurse's later negative does not clear it by itself, and no
    override passes it.
    """
    if session.patient.sex_at_birth in PREGNANCY_NOT_APPLICABLE:
        return None
    required = str((protocol_setting(plan, "pregnancy_test_required") or {}).get("value")) == "yes"
    hours = _setting_number(plan, "pregnancy_test_valid_hours")
    tests = list(
        PregnancyTest.objects.in_use()
        .filter(patient_id=session.patient_id, tested_at__lte=now)
        .select_related("recorded_by")
        .order_by("-tested_at", "-pk")
    )
    if not tests and not required:
        return None
    positive = next((t for t in tests if t.result == PregnancyTest.Result.POSITIVE), None)
    if positive is not None:
        center_id = session.patient.center_id
        cleared = any(
            t.tested_at > positive.tested_at and Actor.of(t.recorded_by).can(Perm.PLAN_SIGN, center_id=center_id)
            for t in tests
            if t.result == PregnancyTest.Result.NEGATIVE
        )
        if not cleared:
            return {
                "ok": False,
                "how": f"{positive.get_kind_display()} positive on "
                f"{timezone.localtime(positive.tested_at):%Y-%m-%d %H:%M}; no dose until a prescriber records a "
                "later negative test; a prescriber cannot override a positive test",
                "overridable": False,
            }
    latest = tests[0] if tests else None
    fresh = latest is not None and hours is not None and latest.tested_at >= now - dt.timedelta(hours=hours)
    if latest is not None and (fresh or not required):
        return {
            "ok": True,
            "how": f"{latest.get_kind_display()} negative on {timezone.localtime(latest.tested_at):%Y-%m-%d %H:%M}",
        }
    if hours is None:
        return {"ok": False, "how": "the protocol asks for a test but sets no period it stays valid for"}
    last = f"; last negative {timezone.localtime(latest.tested_at):%Y-%m-%d %H:%M}" if latest else ""
    return {"ok": False, "how": f"the protocol asks for a test in the last {hours} hours; none on file{last}"}


def _plan_for_dose(session: TreatmentSession) -> tuple[TreatmentPlan, dict[str, Any]]:
    """The plan the dose will be computed under, and whether the session may be dosed under it."""
    try:
        return plan_in_force(session=session), {"ok": True, "how": "current signed plan"}
    except RuleViolation as refused:
        # Still check the rest against the booked plan, so the nurse sees every open item at once.
        return session.plan, {"ok": False, "how": str(refused.message), "overridable": False}


def _answers_from_record(session: TreatmentSession, now: dt.datetime) -> dict[str, dict[str, Any]]:
    plan, plan_answer = _plan_for_dose(session)
    consent = consent_current(patient=session.patient, route=plan.route)
    today = timezone.localdate()
    # The plan's own scales count; a screening questionnaire the same morning does not.
    scales = plan.measurement_instruments or ["phq9"]
    questionnaire = (
        QuestionnaireResponse.objects.in_use()
        .filter(patient_id=session.patient_id, status="completed", completed_at__date=today, instrument_code__in=scales)
        .exists()
    )
    return {
        "plan": plan_answer,
        "consent": {
            "ok": consent is not None,
            "how": f"signed {consent.signed_at:%Y-%m-%d}" if consent else "no current consent on file",
        },
        "predose_vitals": _predose_vitals(session, plan, now),
        "questionnaire": {"ok": questionnaire, "how": "completed today" if questionnaire else "not done today"},
        "suicide_risk": _suicide_risk(session, now),
    } | ({"pregnancy_test": pregnancy} if (pregnancy := _pregnancy_test(session, plan, now)) else {})


def _answers_at_start(session: TreatmentSession, now: dt.datetime) -> dict[str, dict[str, Any]]:
    """The items that protect the patient at the dose, read again from the record as it starts."""
    plan, _plan_answer = _plan_for_dose(session)  # the dose's own step refuses a plan not in force
    with timezone.override(session.patient.center.zone):
        live = {"suicide_risk": _suicide_risk(session, now), "predose_vitals": _predose_vitals(session, plan, now)}
        pregnancy = _pregnancy_test(session, plan, now)
    if pregnancy is not None:
        live["pregnancy_test"] = pregnancy
    return live


def open_items_no_override_passes(check: PreSessionCheck) -> list[str]:
    """The open items only the record can close (consent, the plan, suicide risk, a positive test)."""
    return [i for i in check.open_items if i in NOT_OVERRIDABLE or check.items[i].get("overridable") is False]


@transaction.atomic
def pre_session_check_record(*, actor: Actor, session: TreatmentSession, confirmed: dict[str, bool]) -> PreSessionCheck:
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
    check = PreSessionCheck.objects.create(session=session, items=items, checked_by=actor.user, checked_at=now)
    audit_change_since(actor=actor, instance=check, action=AuditAction.PRE_SESSION_CHECK_RECORDED, before={})
    return check


@transaction.atomic
def pre_session_override(*, actor: Actor, check: PreSessionCheck, item: str, reason: str) -> PreSessionCheck:
    """A prescriber lets the session go ahead despite one failed item, and says why."""
    require(actor, Perm.PLAN_SIGN, center_id=check.session.patient.center_id)
    check = PreSessionCheck.objects.select_for_update().select_related("session__patient").get(pk=check.pk)
    if item not in check.items or check.items[item]["ok"]:
        raise RuleViolation(_("Only a failed item can be overridden."), code="nothing_to_override", field="item")
    if item == "consent":
        raise RuleViolation(
            _("No session starts without current consent; it cannot be overridden."),
            code="not_overridable",
            field="item",
        )
    if item == "suicide_risk":
        raise RuleViolation(
            _(
                "A suicide-risk finding cannot be overridden: a clinician documents the review, "
                "then the checklist is run again."
            ),
            code="not_overridable",
            field="item",
        )
    if item == "plan":
        raise RuleViolation(
            _("A session is dosed only under the patient's current signed plan; it cannot be overridden."),
            code="not_overridable",
            field="item",
        )
    if item in NOT_OVERRIDABLE or check.items[item].get("overridable") is False:
        raise RuleViolation(
            _("A positive pregnancy test cannot be overridden by a prescriber."),
            code="not_overridable",
            field="item",
        )
    if check.overrides:
        raise RuleViolation(_("One item may be overridden; run the checklist again."), code="one_override_only")
    if len(reason.strip()) < 10:
        raise RuleViolation(_("Write the clinical reason for the override."), code="reason_required", field="reason")
    before = snapshot(check)
    check.overrides = check.overrides | {
        item: {"reason": reason.strip(), "by": actor.user.get_username(), "at": timezone.now().isoformat()}
    }
    check.save()
    audit_change_since(
        actor=actor, instance=check, action=AuditAction.PRE_SESSION_CHECK_OVERRIDDEN, before=before, reason=reason
    )
    return check


def session_start_check(*, session: TreatmentSession) -> PreSessionCheck:
    """The latest checklist, if it lets the dose start; otherwise say what is still open."""
    check = PreSessionCheck.objects.in_use().filter(session=session).order_by("-checked_at", "-pk").first()
    if check is None:
        raise RuleViolation(_("Complete the pre-session checklist first."), code="checklist_missing")
    now = timezone.now()
    if check.checked_at < now - CHECKLIST_VALID_FOR:
        # Fasting, identity and the escort were confirmed for a moment, not for the day.
        raise RuleViolation(
            _("The checklist was run %(minutes)s minutes ago; run it again before the dose.")
            % {"minutes": int((now - check.checked_at).total_seconds() // 60)},
            code="checklist_stale",
        )
    # The record as it is now: an alert raised or a positive test recorded after the checklist
    # still stops the start, and a review documented since then counts.
    answers = check.items | _answers_at_start(session, now)
    # A prescriber's override of the pre-dose vitals covers the reading it was given for; a
    # newer reading above the limits (or none left in the window) needs a new checklist.
    vitals_then, vitals_now = check.items.get("predose_vitals", {}), answers["predose_vitals"]
    overridden = set(check.overrides)
    reading_then = vitals_then.get("reading")
    if "predose_vitals" in overridden and (reading_then is None or vitals_now.get("reading") != reading_then):
        overridden.discard("predose_vitals")
    open_items = [
        item
        for item, answer in answers.items()
        if not answer["ok"] and (item not in overridden or answer.get("overridable") is False)
    ]
    if open_items:
        labels = NURSE_ITEMS | RECORD_ITEMS
        raise RuleViolation(
            _("The checklist has open items: %(items)s.")
            % {"items": "; ".join(f"{labels[i]} ({answers[i]['how']})" for i in open_items)},
            code="checklist_open",
        )
    return check


@transaction.atomic
def suicide_risk_review_document(*, actor: Actor, session: TreatmentSession, action_taken: str) -> list[PatientAlert]:
    """A prescriber documents the review of today's suicide-risk findings and open risk alerts.

    Each open alert is acknowledged with the action taken; a finding that raised no alert gets
    one, acknowledged at once, so the review sits where the risk alert queue shows it.
    """
    require(actor, Perm.PLAN_SIGN, center_id=session.patient.center_id)
    require(actor, Perm.RISK_ALERT_ACKNOWLEDGE, center_id=session.patient.center_id)
    if len(action_taken.strip()) < 10:
        raise RuleViolation(
            _("Write what the review found and what was done."), code="action_required", field="action_taken"
        )
    with timezone.override(session.patient.center.zone):
        unreviewed, open_alerts = _suicide_risk_state(session, timezone.now())
    alerted = {a.source_id for a in open_alerts}
    reviewed = []
    for alert in open_alerts:
        if alert.acknowledged_at is None:
            reviewed.append(patient_alert_acknowledge(actor=actor, alert=alert, action_taken=action_taken))
            continue
        # Acknowledged by someone who may not clear a dose: the prescriber's review is its own
        # acknowledged alert that names the one it reviewed, so both stay in the record.
        review = patient_alert_raise(
            actor=actor,
            patient=session.patient,
            kind=PatientAlert.Kind.SUICIDE_RISK,
            message=(_("Prescriber review before dosing: %(alert)s") % {"alert": alert.message})[:200],
            reason=_("Acknowledged by %(who)s; reviewed by a prescriber before the dose.")
            % {"who": alert.acknowledged_by},
            source_type="patients.patientalert",
            source_id=str(alert.external_id),
        )
        reviewed.append(patient_alert_acknowledge(actor=actor, alert=review, action_taken=action_taken))
    for response, findings in unreviewed:
        if str(response.external_id) in alerted:
            continue
        alert = patient_alert_raise(
            actor=actor,
            patient=session.patient,
            kind=PatientAlert.Kind.SUICIDE_RISK,
            message=(_("%(findings)s: reviewed before dosing") % {"findings": ", ".join(findings)})[:200],
            reason=_("Found by the pre-session checklist; no risk alert had been raised for it."),
            raised_at=response.completed_at,
            source_type="measures.questionnaireresponse",
            source_id=str(response.external_id),
        )
        reviewed.append(patient_alert_acknowledge(actor=actor, alert=alert, action_taken=action_taken))
    if not reviewed:
        raise RuleViolation(_("There is no suicide-risk finding to review."), code="nothing_to_review")
    return reviewed
