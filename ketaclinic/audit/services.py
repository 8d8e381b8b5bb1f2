"""Every write to the audit trail: entries, the history of clinical records, sealing."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection, models, transaction
from django.utils import timezone

from ketaclinic.audit import chain
from ketaclinic.audit.actions import BULK_CREATED, AuditAction
from ketaclinic.audit.context import current_origin
from ketaclinic.audit.models import AuditChain, AuditEntry

if TYPE_CHECKING:
    from ketaclinic.accounts.models import User
    from ketaclinic.audit.records import ChangeAuthor, ClinicalRecord
    from ketaclinic.clinics.actors import Actor

CHAIN_NAME = "main"
SEAL_BATCH = 5000


def jsonable(value: Any) -> Any:
    """A value as it is stored in an entry's ``changes``: JSON-native, exact, stable."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    return str(value)


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The record's own field values, keyed by attribute name, ready to compare."""
    exclude = set(getattr(instance, "history_exclude", ()))
    return {
        field.attname: jsonable(getattr(instance, field.attname))
        for field in instance._meta.concrete_fields
        if field.name not in exclude and not field.primary_key
    }


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Field name -> [old, new] for every field whose value differs."""
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}


@dataclass(frozen=True, slots=True)
class EntryFacts:
    kind: str
    action: AuditAction
    actor: User | None
    actor_label: str = ""
    role: str = ""
    center_id: int | None = None
    patient_id: int | None = None
    object_type: str = ""
    object_id: str = ""
    changes: dict[str, Any] | None = None
    reason: str = ""
    is_emergency: bool = False


def audit_entry_build(facts: EntryFacts, *, at: dt.datetime | None = None) -> AuditEntry:
    """An unsaved entry with its row MAC, stamped with the current request's origin."""
    request_origin = current_origin()
    actor = facts.actor
    entry = AuditEntry(
        entry_id=uuid.uuid4(),
        at=at or timezone.now(),
        kind=facts.kind,
        action=facts.action,
        actor_id=getattr(actor, "pk", None),
        actor_label=facts.actor_label or (actor.get_username() if actor is not None else "system"),
        role=facts.role,
        center_id=facts.center_id,
        patient_id=facts.patient_id,
        object_type=facts.object_type,
        object_id=facts.object_id,
        changes=jsonable(facts.changes or {}),
        ip=request_origin.ip,
        user_agent=request_origin.user_agent,
        reason=facts.reason,
        is_emergency=facts.is_emergency,
        key_id=chain.active_key_id(),
    )
    entry.row_mac = chain.row_mac(entry)
    return entry


def in_service_transaction(using: str | None = None) -> bool:
    """Whether the code running has opened a transaction of its own (``transaction.atomic``).

    Django's ``TestCase`` (which pytest-django uses for ``django_db``) wraps the test class and
    each test in atomic blocks it marks ``_from_testcase = True`` (``TestCase._enter_atomics``
    in django/test/testcases.py; ``Atomic.__enter__`` reads the same mark for durable blocks).
    Those blocks are the test's, not the service's, so they do not count: under the test runner
    as in production, only a block opened by the code under test does.
    """
    blocks = transaction.get_connection(using).atomic_blocks
    return any(not getattr(block, "_from_testcase", False) for block in blocks)


def audit_transaction_required(action: str) -> None:
    """Refuse an audit write outside a transaction the service opened.

    A clinical row and its history commit together or not at all: written in autocommit, the
    row could be stored without its entry (a crash, a failed insert) and a retry would then
    find the row and never write the entry.
    """
    if not in_service_transaction():
        raise RuntimeError(
            f"Audit entry {action!r} written outside a transaction: wrap the service that writes it "
            "in transaction.atomic, with the rows it records (audit_event_alone for an entry that "
            "accompanies no other write)."
        )


def audit_entries_write(entries: Sequence[AuditEntry]) -> None:
    """Insert entries in one statement, in the caller's transaction; the seal_audit worker seals them later."""
    if entries:
        audit_transaction_required(entries[0].action)
        AuditEntry.objects.bulk_create(entries)


def audit_event_record(facts: EntryFacts) -> AuditEntry:
    """Record an entry in the transaction of the write it describes."""
    audit_transaction_required(facts.action)
    entry = audit_entry_build(facts)
    audit_entries_write([entry])
    return entry


def audit_event_alone(facts: EntryFacts) -> AuditEntry:
    """Record an entry that accompanies no other write (a sign-in, an export), in its own transaction.

    Inside a caller's transaction it adds no savepoint: a failed insert fails the whole of it.
    """
    with transaction.atomic(savepoint=False):
        return audit_event_record(facts)


def _object_type(instance: models.Model) -> str:
    return instance._meta.label_lower


def audit_change_record(
    *,
    actor: Actor | None,
    instance: ClinicalRecord | models.Model,
    action: AuditAction,
    changes: dict[str, Any],
    reason: str = "",
    role: str = "",
) -> AuditEntry:
    """Record that a clinical record was created or changed, with what changed, in the write's transaction."""
    audit_transaction_required(action)

    center_id = getattr(instance, "audit_center_id", None)
    return audit_event_record(
        EntryFacts(
            kind=AuditEntry.Kind.CHANGE,
            action=action,
            actor=actor.user if actor is not None else None,
            role=role or (actor.role_at(center_id) if actor is not None else ""),
            center_id=center_id,
            patient_id=getattr(instance, "audit_patient_id", None),
            object_type=_object_type(instance),
            object_id=str(getattr(instance, "external_id", instance.pk)),
            changes=changes,
            reason=reason,
        )
    )


def audit_change_since(
    *,
    actor: Actor,
    instance: ClinicalRecord | models.Model,
    action: AuditAction,
    before: dict[str, Any],
    reason: str = "",
) -> AuditEntry:
    """Record what changed in ``instance`` since the ``before`` snapshot ({} for a new row)."""
    changes = changes_between(before, snapshot(instance))
    return audit_change_record(actor=actor, instance=instance, action=action, changes=changes, reason=reason)


def audit_bulk_created_record(
    *, author: ChangeAuthor, instances: Iterable[models.Model], batch_size: int | None = None
) -> None:
    """One 'created' history entry per bulk-created row, written in one more statement.

    Called by ``ClinicalQuerySet.bulk_create`` in the transaction that created the rows.
    """
    instances = list(instances)
    if instances:
        audit_transaction_required(BULK_CREATED[instances[0]._meta.label_lower])
    entries = []
    for instance in instances:
        entries.append(
            audit_entry_build(
                EntryFacts(
                    kind=AuditEntry.Kind.CHANGE,
                    action=BULK_CREATED[instance._meta.label_lower],
                    actor=author.actor,
                    actor_label=author.label,
                    center_id=getattr(instance, "audit_center_id", None),
                    patient_id=getattr(instance, "audit_patient_id", None),
                    object_type=_object_type(instance),
                    object_id=str(getattr(instance, "external_id", instance.pk)),
                    changes={name: [None, value] for name, value in snapshot(instance).items()},
                    reason=author.reason,
                )
            )
        )
    AuditEntry.objects.bulk_create(entries, batch_size=batch_size)


@transaction.atomic
def audit_seal(*, batch: int = SEAL_BATCH) -> int:
    """Link unsealed entries into the chain, in insertion order; return how many were sealed.

    Never run inside a request, so a page's cost does not depend on the backlog: the
    ``seal_audit --every N`` worker seals (docs/operations.md), which bounds the unsealed window.

    The chain head row is locked, so two sealers never hand out the same number.
    """
    head, _ = AuditChain.objects.select_for_update().get_or_create(name=CHAIN_NAME)
    pending = list(
        AuditEntry.objects.filter(seq__isnull=True).order_by("id").values_list("id", "row_mac", "key_id")[:batch]
    )
    if not pending:
        return 0
    seq, previous = head.last_seq, head.last_mac
    links = []
    for entry_pk, entry_row_mac, key_id in pending:
        seq += 1
        previous = chain.link_mac(key_id=key_id, previous_mac=previous, seq=seq, entry_row_mac=entry_row_mac)
        links.append((seq, previous, entry_pk))
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with connection.cursor() as cursor:
        # Sealing only fills seq and chain_mac, once: the database trigger refuses any
        # other change to an entry, and the ORM's bulk paths are closed on this model.
        sql = f"UPDATE {table} SET seq = %s, chain_mac = %s WHERE id = %s AND seq IS NULL"  # noqa: S608 - table name from the model
        cursor.executemany(sql, links)
    head.last_seq, head.last_mac, head.sealed_at = seq, previous, timezone.now()
    head.save(update_fields=["last_seq", "last_mac", "sealed_at"])
    return len(links)


def audit_seal_all() -> int:
    total = 0
    while sealed := audit_seal():
        total += sealed
    return total
