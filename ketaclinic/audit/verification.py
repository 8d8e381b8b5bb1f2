"""Walk the audit chain and name the first link that does not hold."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from django.apps import apps
from django.db import connections
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Replace

from ketaclinic.audit import chain
from ketaclinic.audit.models import AuditChain, AuditEntry
from ketaclinic.audit.records import ClinicalRecord
from ketaclinic.audit.services import CHAIN_NAME


@dataclass(frozen=True, slots=True)
class BrokenLink:
    seq: int | None
    entry_id: str | None
    problem: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    sealed: int
    unsealed: int
    head_seq: int
    head_mac: str
    broken: BrokenLink | None

    @property
    def is_intact(self) -> bool:
        return self.broken is None


def audit_chain_verify(*, using: str = "default") -> ChainReport:
    head = AuditChain.objects.using(using).filter(name=CHAIN_NAME).first()
    head_seq, head_mac = (head.last_seq, head.last_mac) if head else (0, "")
    expected_seq, previous, sealed = 0, "", 0
    broken: BrokenLink | None = None
    entries = AuditEntry.objects.using(using).filter(seq__isnull=False).order_by("seq").iterator(chunk_size=2000)
    for entry in entries:
        expected_seq += 1
        broken = _check(entry, expected_seq=expected_seq, previous=previous)
        if broken:
            break
        previous, sealed = entry.chain_mac, sealed + 1
    if broken is None and (expected_seq != head_seq or previous != head_mac):
        broken = BrokenLink(
            seq=expected_seq,
            entry_id=None,
            problem=f"the chain ends at {expected_seq} but its head records {head_seq}: entries are missing",
        )
    unsealed = 0
    if broken is None:
        for entry in AuditEntry.objects.using(using).filter(seq__isnull=True).order_by("id").iterator(chunk_size=2000):
            unsealed += 1
            if not _row_mac_holds(entry):
                broken = BrokenLink(seq=None, entry_id=str(entry.entry_id), problem="unsealed entry was altered")
                break
    return ChainReport(sealed=sealed, unsealed=unsealed, head_seq=head_seq, head_mac=head_mac, broken=broken)


def _row_mac_holds(entry: AuditEntry) -> bool:
    try:
        return hmac.compare_digest(chain.row_mac(entry), entry.row_mac)
    except chain.UnknownAuditKey:
        return False


def _check(entry: AuditEntry, *, expected_seq: int, previous: str) -> BrokenLink | None:
    entry_id = str(entry.entry_id)
    if entry.seq != expected_seq:
        missing = f"entry {expected_seq} is missing (next entry found is {entry.seq})"
        return BrokenLink(seq=expected_seq, entry_id=entry_id, problem=missing)
    if not _row_mac_holds(entry):
        altered = "entry content does not match its MAC: it was altered"
        return BrokenLink(seq=expected_seq, entry_id=entry_id, problem=altered)
    link = chain.link_mac(key_id=entry.key_id, previous_mac=previous, seq=expected_seq, entry_row_mac=entry.row_mac)
    if not hmac.compare_digest(link, entry.chain_mac):
        return BrokenLink(seq=expected_seq, entry_id=entry_id, problem="link does not follow from the previous entry")
    return None


@dataclass(frozen=True, slots=True)
class MissingHistory:
    """Clinical rows of one model that have no history entry at all, not even their creation."""

    model: str
    rows: int
    missing: int
    first_ids: tuple[str, ...]


def _history_key(field: str) -> Replace:
    # SQLite stores a UUID as 32 hex digits, PostgreSQL prints it with dashes and entries hold
    # str(uuid): compare both sides without dashes, so the same query holds on both databases.
    return Replace(Cast(F(field), output_field=CharField()), Value("-"), Value(""))


def audit_history_gaps(*, using: str = "default", show: int = 5) -> list[MissingHistory]:
    """For each clinical model, the rows no change entry names: one anti-join query per model.

    Entries name a row by ``object_type`` (the model's label) and ``object_id`` (its external
    id, or its primary key for a model without one), as ``audit_change_record`` writes them.
    """
    gaps = []
    for model in apps.get_models():
        if not issubclass(model, ClinicalRecord):
            continue
        label = model._meta.label_lower
        field = "external_id" if any(f.name == "external_id" for f in model._meta.fields) else "pk"
        named = (
            AuditEntry.objects.using(using)
            .filter(kind=AuditEntry.Kind.CHANGE, object_type=label)
            .annotate(key=_history_key("object_id"))
            .values("key")
        )
        rows = model._base_manager.using(using).annotate(history_key=_history_key(field))
        orphans = rows.exclude(history_key__in=named)
        missing = orphans.count()
        if missing:
            first = tuple(str(value) for value in orphans.order_by("pk").values_list(field, flat=True)[:show])
            gaps.append(MissingHistory(model=label, rows=rows.count(), missing=missing, first_ids=first))
    return gaps


def audit_removed_entries(*, using: str = "default", show: int = 5) -> list[int]:
    """Entry ids that are missing between the first and the last entry, sealed or not (SQLite).

    SQLite hands out ``AUTOINCREMENT`` ids inside the transaction: a rolled-back insert gives
    its id back, so on SQLite ids run without a hole and a hole is a deleted entry, even one
    deleted before it was sealed. PostgreSQL's sequences skip an id on every rollback, so there
    a hole proves nothing; there the delete trigger and the head kept outside guard the table.
    Returns, for each hole, the id just below the next entry (at most ``show``); one query on the key.
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        return []
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.id - 1 FROM {table} a WHERE a.id > (SELECT min(id) FROM {table}) "  # noqa: S608 - model table
            f"AND NOT EXISTS (SELECT 1 FROM {table} b WHERE b.id = a.id - 1) ORDER BY a.id LIMIT %s",
            [show],
        )
        return [row[0] for row in cursor.fetchall()]
