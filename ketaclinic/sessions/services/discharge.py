"""Discharge: the protocol's criteria checked off, from the record where it can answer."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import audit_change_since, snapshot
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.authorization import require
from ketaclinic.core.discharge import DISCHARGE_RULES, Answer, observation_time_passed, vitals_near_baseline
from ketaclinic.core.errors import Conflict, RuleViolation
from ketaclinic.core.monitoring import MEASURES
from ketaclinic.core.permissions import Perm
from ketaclinic.sessions.models import DischargeAssessment, DoseAdministration, TreatmentSession, VitalSign
from ketaclinic.sessions.selectors.baseline import baseline_of

ENDED = (DoseAdministration.Status.COMPLETED, DoseAdministration.Status.STOPPED)


def discharge_record_answers(*, session: TreatmentSession) -> dict[str, Answer]:
    """What the record says about the two criteria it can answer, as of now."""
    now = timezone.now()
    readings = list(VitalSign.objects.in_use().filter(session=session).order_by("measured_at"))
    dose = DoseAdministration.objects.in_use().filter(session=session).first()
    # The latest set with vital signs in it; an entry of only a side effect says nothing here.
    latest = next((r for r in reversed(readings) if r.systolic_mmhg is not None or r.heart_rate_bpm is not None), None)
    return {
        "vitals_near_baseline": vitals_near_baseline(
            baseline=baseline_of(readings, dose.started_at if dose else None) if readings else None,
            latest={m: getattr(latest, m) for m in MEASURES} if latest else None,
            latest_at=latest.measured_at if latest else None,
            now=now,
        ),
        "observation_time_passed": observation_time_passed(
            dose_ended_at=dose.ended_at if dose and dose.status in ENDED else None,
            now=now,
            minimum_minutes=session.plan.min_observation_minutes,
        ),
    }


@transaction.atomic
def discharge_assess(
    *, actor: Actor, session: TreatmentSession, confirmed: dict[str, bool], escort_name: str = ""
) -> DischargeAssessment:
    """Record the discharge check; when every criterion is met the session is completed.

    Nothing is overridden here: a patient who is not ready stays, and the nurse checks again.
    """
    require(actor, Perm.SESSION_CHART, center_id=session.patient.center_id)
    session = TreatmentSession.objects.select_for_update().select_related("patient", "plan").get(pk=session.pk)
    if session.status != TreatmentSession.Status.SCHEDULED:
        raise Conflict(_("This session is already closed."), code="session_closed")
    if not DoseAdministration.objects.in_use().filter(session=session, status__in=ENDED).exists():
        raise RuleViolation(_("Record the end of the dose before discharge."), code="dose_not_ended")
    escort_name = escort_name.strip()
    if confirmed.get("escort_present") and not escort_name:
        raise RuleViolation(_("Name the escort taking the patient home."), code="escort_name", field="escort_name")
    criteria = {
        key: {"ok": answer.ok, "how": answer.how} for key, answer in discharge_record_answers(session=session).items()
    }
    for criterion in DISCHARGE_RULES.nurse_criteria:
        ok = bool(confirmed.get(criterion.key))
        criteria[criterion.key] = {"ok": ok, "how": "confirmed by the nurse" if ok else "not confirmed"}
    if criteria["escort_present"]["ok"]:
        criteria["escort_present"]["how"] = f"escort: {escort_name}"
    discharged = all(answer["ok"] for answer in criteria.values())
    assessment = DischargeAssessment.objects.create(
        session=session,
        criteria=criteria,
        criteria_version=DISCHARGE_RULES.version,
        escort_name=escort_name,
        assessed_by=actor.user,
        assessed_at=timezone.now(),
        discharged=discharged,
    )
    audit_change_since(actor=actor, instance=assessment, action=AuditAction.DISCHARGE_ASSESSED, before={})
    if discharged:
        before = snapshot(session)
        session.status = TreatmentSession.Status.COMPLETED
        session.save()
        audit_change_since(actor=actor, instance=session, action=AuditAction.TREATMENT_SESSION_COMPLETED, before=before)
    return assessment


def discharge_open_criteria(assessment: DischargeAssessment) -> list[str]:
    labels = {c.key: c.label for c in DISCHARGE_RULES.criteria}
    return [f"{labels.get(k, k)}: {v['how']}" for k, v in assessment.criteria.items() if not v["ok"]]
