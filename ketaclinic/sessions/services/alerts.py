"""Threshold alerts on readings: raised with the reading, acknowledged by a nurse, resolved by a later reading.

A reading keeps the alerts it raised in ``VitalSign.alerts`` (one ``ReadingAlert`` each), so
a reading and its alerts are one row, inserted in one statement. An alert is open until a
nurse acknowledges it; it is resolved, acknowledged or not, once a later reading of the same
measure no longer crosses its rule. Every change of state is a change of the reading that
raised it, and is written to its history in the transaction of the write that caused it.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.models import AuditEntry
from ketaclinic.audit.services import EntryFacts, audit_change_since, audit_event_record, changes_between, snapshot
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.authorization import require
from ketaclinic.core.errors import NotFound, RuleViolation
from ketaclinic.core.permissions import Perm
from ketaclinic.sessions.models import AlertState, ReadingAlert, TreatmentSession, VitalSign


def session_readings_lock(session: TreatmentSession) -> None:
    """Take the session's readings for writing: one writer at a time, until the transaction ends.

    PostgreSQL locks the session's row; SQLite's transactions begin IMMEDIATE, one after
    another. So each new reading compares with, and settles alerts against, every reading
    committed before it, and an acknowledgement never overwrites a resolution (or the reverse).
    Taken before the first reading is inserted, so two batches never wait on each other's keys.
    """
    list(TreatmentSession.objects.select_for_update().filter(pk=session.pk).values_list("pk", flat=True))


def _clears(reading: VitalSign, alert: ReadingAlert) -> bool:
    """Whether ``reading`` measured what the alert is about and did not cross the alert's rule."""
    if alert.is_resolved or alert.legacy_text or getattr(reading, alert.measure) is None:
        return False
    return alert.rule_id not in {raised.rule_id for raised in reading.reading_alerts}


def reading_alerts_settle(sign: VitalSign) -> None:
    """Settle a reading just stored against the session's others, in the reading's transaction.

    Each earlier alert of a rule that this reading's measure no longer crosses is resolved by
    it. An alert this reading raised is born resolved when a reading taken after it (charted
    before it, as a reading entered late is) already no longer crossed the rule.
    """
    others = list(
        VitalSign.objects.in_use()
        .filter(session_id=sign.session_id)
        .exclude(pk=sign.pk)
        .filter(Q(measured_at__gt=sign.measured_at) | (Q(measured_at__lt=sign.measured_at) & ~Q(alerts=[])))
        .order_by("measured_at", "pk")
    )
    later = [other for other in others if other.measured_at > sign.measured_at]
    own = sign.reading_alerts
    settled = [next((alert.resolved(by=r) for r in later if _clears(r, alert)), alert) for alert in own]
    if settled != own:
        sign.alerts = [alert.as_json() for alert in settled]
        sign.save(update_fields=["alerts"])
    for earlier in others:
        if earlier.measured_at > sign.measured_at:
            continue
        alerts = earlier.reading_alerts
        resolved = [alert.resolved(by=sign) if _clears(sign, alert) else alert for alert in alerts]
        if resolved == alerts:
            continue
        before = snapshot(earlier)
        earlier.alerts = [alert.as_json() for alert in resolved]
        earlier.save(update_fields=["alerts"])
        audit_event_record(
            EntryFacts(
                kind=AuditEntry.Kind.CHANGE,
                action=AuditAction.VITAL_SIGN_ALERT_RESOLVED,
                actor=sign.recorded_by,
                actor_label=f"monitor {sign.device.label}" if sign.device is not None else "",
                center_id=sign.session.patient.center_id,
                patient_id=sign.session.patient_id,
                object_type=earlier._meta.label_lower,
                object_id=str(earlier.external_id),
                changes=changes_between(before, snapshot(earlier)),
                reason="A later reading no longer crosses the limit.",
            )
        )


@transaction.atomic
def vital_sign_alert_acknowledge(*, actor: Actor, sign: VitalSign, position: int) -> ReadingAlert:
    """A nurse has seen an open alert; it stays on the flowsheet, acknowledged, until a reading resolves it.

    ``position`` is the alert's place in the reading's list, which never changes once stored.
    """
    require(actor, Perm.VITALS_RECORD, center_id=sign.session.patient.center_id)
    session_readings_lock(sign.session)
    sign = VitalSign.objects.in_use().select_related("session__patient").get(pk=sign.pk)
    if sign.session.status != TreatmentSession.Status.SCHEDULED:
        raise RuleViolation(
            _("This session is %(status)s: its alerts can no longer be acknowledged.")
            % {"status": sign.session.get_status_display().lower()},
            code="session_closed",
        )
    alerts = sign.reading_alerts
    if not 0 <= position < len(alerts):
        raise NotFound(_("That alert is not on this reading."), code="alert_not_found")
    alert = alerts[position]
    if alert.state == AlertState.RESOLVED:
        raise RuleViolation(
            _("This alert is already resolved: a later reading no longer crosses its limit."),
            code="alert_already_resolved",
        )
    if alert.state == AlertState.ACKNOWLEDGED:
        raise RuleViolation(
            _("This alert was already acknowledged by %(who)s.") % {"who": alert.acknowledged_by},
            code="alert_already_acknowledged",
        )
    before = snapshot(sign)
    alerts[position] = alert.acknowledged(by=actor.user, at=timezone.now())
    sign.alerts = [a.as_json() for a in alerts]
    sign.save(update_fields=["alerts"])
    audit_change_since(actor=actor, instance=sign, action=AuditAction.VITAL_SIGN_ALERT_ACKNOWLEDGED, before=before)
    return alerts[position]
