"""The chain's head kept outside the database: a signed note of the last sealed entry.

Someone who can write the database can cut off the newest entries and wind the head row
back to match; the chain then verifies. Only a head written elsewhere (write-once storage,
exported from cron) shows it: ``verify_audit --head`` checks the chain still reaches it.
The note is signed with the audit key (HMAC), so it cannot be forged to match a cut chain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.utils import timezone

from ketaclinic.audit import chain
from ketaclinic.audit.models import AuditChain, AuditEntry
from ketaclinic.audit.services import CHAIN_NAME


class HeadNoteInvalid(Exception):
    """The exported head's signature does not hold, or it is not a head note."""


def _signature(fields: dict[str, Any]) -> str:
    body = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(chain._key(fields["key_id"]), body, hashlib.sha256).hexdigest()


def audit_head_note(*, using: str = "default") -> dict[str, Any]:
    """The current head as a signed note: chain, seq, mac, when sealed, when exported, key id."""
    head = AuditChain.objects.using(using).filter(name=CHAIN_NAME).first()
    fields: dict[str, Any] = {
        "chain": CHAIN_NAME,
        "seq": head.last_seq if head else 0,
        "mac": head.last_mac if head else "",
        "at": head.sealed_at.isoformat() if head and head.sealed_at else None,
        "exported_at": timezone.now().isoformat(),
        "key_id": chain.active_key_id(),
    }
    return {**fields, "signature": _signature(fields)}


def audit_head_problem(note: dict[str, Any], *, using: str = "default") -> str | None:
    """Why the chain in the database does not reach the exported head, or None when it does."""
    fields = {name: value for name, value in note.items() if name != "signature"}
    try:
        signed = hmac.compare_digest(_signature(fields), str(note.get("signature", "")))
    except (chain.UnknownAuditKey, KeyError, TypeError) as error:
        raise HeadNoteInvalid(f"the head note cannot be checked: {error}") from error
    if not signed:
        raise HeadNoteInvalid("the head note's signature does not hold: it was not exported with the audit key")
    seq, mac = int(fields["seq"]), str(fields["mac"])
    if seq == 0:
        return None
    entry = AuditEntry.objects.using(using).filter(seq=seq).values_list("chain_mac", flat=True).first()
    if entry is None:
        head = AuditChain.objects.using(using).filter(name=CHAIN_NAME).first()
        now = head.last_seq if head else 0
        return f"the exported head is entry {seq} but the chain ends at {now}: its tail was cut off"
    if not hmac.compare_digest(entry, mac):
        return f"entry {seq} is not the one exported as the head: the chain was rewritten from there"
    return None
