"""Steps every patient record shares: known fields only, and one-time stamps
(resolved, acknowledged, reviewed, entered in error) taken under a row lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import audit_change_record, changes_between, snapshot
from ketaclinic.clinics.actors import Actor
from ketaclinic.core.errors import Conflict, RuleViolation


def only_known_fields(fields: Mapping[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise RuleViolation(
            _("Unknown fields: %(names)s.") % {"names": ", ".join(sorted(unknown))}, code="unknown_field"
        )
    return dict(fields)


def close_out(
    *,
    actor: Actor,
    record: Any,
    action: AuditAction,
    stamp: str,
    note_field: str,
    note: str,
    by: str | None = None,
    already: tuple[str, str],
    reason: str = "",
) -> Any:
    """Stamp a one-time step on a record (resolved, acknowledged, reviewed, in error) and audit it.

    The row is locked first, so two people pressing the button together cannot both do it.
    """
    record = type(record).objects.select_for_update().get(pk=record.pk)
    if getattr(record, stamp) is not None:
        raise Conflict(already[0], code=already[1])
    before = snapshot(record)
    setattr(record, stamp, timezone.now())
    setattr(record, note_field, note.strip())
    if by is not None:
        setattr(record, by, actor.user)
    record.save()
    audit_change_record(
        actor=actor, instance=record, action=action, changes=changes_between(before, snapshot(record)), reason=reason
    )
    return record


def mark_entered_in_error(*, actor: Actor, record: Any, reason: str, action: AuditAction) -> Any:
    if not reason.strip():
        raise RuleViolation(_("Say why the entry was wrong."), code="reason_required", field="reason")
    return close_out(
        actor=actor,
        record=record,
        action=action,
        stamp="entered_in_error_at",
        note_field="entered_in_error_reason",
        note=reason,
        already=(_("This entry is already marked as entered in error."), "already_in_error"),
        reason=reason,
    )
