"""The session note: drafted from the record, edited by the nurse, signed and locked.

After signing, the note's text never changes (the model refuses it); an addition or a
correction is a signed amendment that sits under the note with its reason.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.accounts.signatures import signature_password_check
from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import audit_change_since, snapshot
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.authorization import require
from ketaclinic.core.discharge import DISCHARGE_RULES
from ketaclinic.core.errors import Conflict, RuleViolation
from ketaclinic.core.monitoring import LABELS
from ketaclinic.core.permissions import Perm
from ketaclinic.sessions.models import (
    DischargeAssessment,
    DoseAdministration,
    SessionEvent,
    SessionNote,
    SessionNoteAmendment,
    TreatmentSession,
    VitalSign,
)


def _local(moment: Any) -> str:
    return f"{timezone.localtime(moment):%H:%M}" if moment else "—"


def _who(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user else "—"


def _vitals_lines(readings: list[VitalSign]) -> list[str]:
    if not readings:
        return ["Vital signs: none recorded."]
    first, last = readings[0], readings[-1]
    lines = [f"Vital signs: {len(readings)} readings, {_local(first.measured_at)}-{_local(last.measured_at)}."]
    for word, r in (("First", first), ("Last", last)):
        lines.append(
            f"  {word}: BP {r.systolic_mmhg}/{r.diastolic_mmhg}, HR {r.heart_rate_bpm}, SpO2 {r.spo2_percent}%."
        )
    for measure, pick, word in (("systolic_mmhg", max, "Highest"), ("spo2_percent", min, "Lowest")):
        values = [getattr(r, measure) for r in readings if getattr(r, measure) is not None]
        if values:
            lines.append(f"  {word} {LABELS[measure]}: {pick(values)}.")
    alerts = [(r, a) for r in readings for a in r.reading_alerts]
    lines.append(f"Alerts: {len(alerts)}." if alerts else "Alerts: none.")
    lines.extend(f"  {_local(r.measured_at)} {a.message_as_written}" for r, a in alerts)
    effects = [f"{_local(r.measured_at)} {r.side_effects}" for r in readings if r.side_effects]
    if effects:
        lines.append("Side effects noted: " + "; ".join(effects) + ".")
    return lines


def session_note_text(*, session: TreatmentSession) -> str:
    """A draft of the note from what the record holds, in the center's time; the nurse edits it."""
    with timezone.override(session.patient.center.zone):
        return _note_text(session)


def _note_text(session: TreatmentSession) -> str:
    doses = list(
        DoseAdministration.objects.filter(session=session)
        .select_related("prepared_by", "verified_by", "waste_witness")
        .order_by("prepared_at")
    )
    dose = next((d for d in doses if d.entered_in_error_at is None), None)
    events = list(SessionEvent.objects.in_use().filter(session=session).select_related("ordered_by"))
    readings = list(VitalSign.objects.in_use().filter(session=session).order_by("measured_at"))
    discharge = DischargeAssessment.objects.in_use().filter(session=session).select_related("assessed_by").first()
    plan = session.plan
    lines = [
        f"Session {session.number_in_series}, {timezone.localtime(session.starts_at):%Y-%m-%d}, "
        f"chair {session.chair.label}. Protocol {plan.protocol_key} (plan version {plan.version}).",
    ]
    # A withdrawn dose is controlled-substance waste: it stays in the note.
    lines.extend(
        f"Withdrawn before it started ({d.entered_in_error_reason}): {d.drug} {d.dose_mg} mg, lot {d.lot_number}; "
        f"{d.wasted_mg} mg wasted, witnessed by {_who(d.waste_witness)}."
        for d in doses
        if d.entered_in_error_at is not None
    )
    if dose is None:
        lines.append("Dose: none given.")
    else:
        lines.append(
            f"Dose: {dose.drug} {dose.dose_mg} mg {dose.route}, lot {dose.lot_number} (expires {dose.lot_expires_on}); "
            f"prepared by {_who(dose.prepared_by)}, verified by {_who(dose.verified_by)}."
        )
        lines.extend(f"  {step}" for step in dose.steps)
        lines.append(
            f"  Drawn {dose.drawn_mg} mg, given {dose.given_mg if dose.given_mg is not None else '—'} mg, "
            f"wasted {dose.wasted_mg if dose.wasted_mg is not None else 'not yet recorded'}."
        )
    for event in events:
        text = f"{_local(event.occurred_at)} {event.get_kind_display()}"
        if event.device_number:
            text += f" {event.device_number}"
        if event.kind == SessionEvent.Kind.INTERVENTION:
            text += f": {event.drug} {event.amount} {event.drug_route}, ordered by {_who(event.ordered_by)}"
        if event.reason:
            text += f" ({event.reason})"
        lines.append(text + ".")
    lines.extend(_vitals_lines(readings))
    if discharge is None:
        lines.append("Discharge: not yet assessed.")
    else:
        labels = {c.key: c.label for c in DISCHARGE_RULES.criteria}
        state = "discharged" if discharge.discharged else "not yet ready"
        lines.append(f"Discharge {_local(discharge.assessed_at)} by {_who(discharge.assessed_by)}: {state}.")
        lines.extend(
            f"  [{'x' if v['ok'] else ' '}] {labels.get(k, k)}: {v['how']}" for k, v in discharge.criteria.items()
        )
    return "\n".join(lines)


def content_digest(*parts: str) -> str:
    """The SHA-256 a signature stores over what was signed."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@transaction.atomic
def session_note_draft(*, actor: Actor, session: TreatmentSession) -> SessionNote:
    """Start the note from the record, or re-draft an unsigned one from the record as it is now."""
    require(actor, Perm.SESSION_CHART, center_id=session.patient.center_id)
    session = TreatmentSession.objects.select_for_update().select_related("patient", "plan", "chair").get(pk=session.pk)
    note = SessionNote.objects.filter(session=session).first()
    text = session_note_text(session=session)
    if note is None:
        note = SessionNote(session=session, text=text, drafted_by=actor.user, drafted_at=timezone.now())
        note.save()
        audit_change_since(actor=actor, instance=note, action=AuditAction.SESSION_NOTE_DRAFTED, before={})
        return note
    return session_note_edit(actor=actor, note=note, text=text)


@transaction.atomic
def session_note_edit(*, actor: Actor, note: SessionNote, text: str) -> SessionNote:
    require(actor, Perm.SESSION_CHART, center_id=note.session.patient.center_id)
    note = SessionNote.objects.select_for_update().select_related("session__patient").get(pk=note.pk)
    if note.status == SessionNote.Status.SIGNED:
        raise Conflict(_("The note is signed; add an amendment instead."), code="note_signed")
    if not text.strip():
        raise RuleViolation(_("The note cannot be empty."), code="required", field="text")
    before = snapshot(note)
    note.text = text.strip()
    note.save()
    audit_change_since(actor=actor, instance=note, action=AuditAction.SESSION_NOTE_EDITED, before=before)
    return note


def session_note_sign(*, actor: Actor, note: SessionNote, password: str, text: str | None = None) -> SessionNote:
    """Sign and lock the note; from now on only amendments are added.

    ``text`` is the note as the signer has it on screen: it is saved and signed together, so what
    is signed is what they read, even if someone re-drafted the stored copy meanwhile.
    """
    require(actor, Perm.SESSION_NOTE_SIGN, center_id=note.session.patient.center_id)
    signature_password_check(signer=actor.user, password=password)
    return _note_signed(actor=actor, note=note, text=text)


@transaction.atomic
def _note_signed(*, actor: Actor, note: SessionNote, text: str | None) -> SessionNote:
    note = SessionNote.objects.select_for_update().select_related("session__patient").get(pk=note.pk)
    if note.status == SessionNote.Status.SIGNED:
        raise Conflict(_("The note is already signed."), code="note_signed")
    if text is not None and text.strip() != note.text:
        note = session_note_edit(actor=actor, note=note, text=text)
    before = snapshot(note)
    note.status, note.signed_by, note.signed_at = SessionNote.Status.SIGNED, actor.user, timezone.now()
    note.content_sha256 = content_digest(
        str(note.session.external_id), note.text, actor.user.get_username(), note.signed_at.isoformat()
    )
    note.save()
    audit_change_since(actor=actor, instance=note, action=AuditAction.SESSION_NOTE_SIGNED, before=before)
    return note


def session_note_amend(
    *, actor: Actor, note: SessionNote, text: str, reason: str, password: str
) -> SessionNoteAmendment:
    """A signed addition or correction under a signed note; the note itself is untouched."""
    require(actor, Perm.SESSION_NOTE_SIGN, center_id=note.session.patient.center_id)
    if note.status != SessionNote.Status.SIGNED:
        raise Conflict(_("Edit the draft; amendments are for signed notes."), code="note_not_signed")
    if not text.strip() or not reason.strip():
        raise RuleViolation(_("Write the amendment and why it is needed."), code="required", field="text")
    signature_password_check(signer=actor.user, password=password)
    with transaction.atomic():
        signed_at = timezone.now()
        amendment = SessionNoteAmendment(
            note=note,
            text=text.strip(),
            reason=reason.strip(),
            signed_by=actor.user,
            signed_at=signed_at,
            content_sha256=content_digest(note.content_sha256, text.strip(), reason.strip(), signed_at.isoformat()),
        )
        amendment.save()
        audit_change_since(
            actor=actor, instance=amendment, action=AuditAction.SESSION_NOTE_AMENDED, before={}, reason=reason
        )
    return amendment
