"""Keyed hashes for audit entries: the row MAC and the chain link.

The key is read from settings (the environment in production), never from the database.
Canonical form: JSON with sorted keys, no spaces, UTC ISO-8601 times, everything else as text.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from django.conf import settings


class UnknownAuditKey(Exception):
    pass


def _key(key_id: str) -> bytes:
    try:
        return settings.KETACLINIC_AUDIT_KEYS[key_id].encode()
    except KeyError:
        raise UnknownAuditKey(f"No audit key with id {key_id!r} is configured.") from None


def active_key_id() -> str:
    return settings.KETACLINIC_AUDIT_ACTIVE_KEY_ID


def canonical_content(entry: Any) -> bytes:
    at: datetime = entry.at
    content = {
        "entry_id": str(entry.entry_id),
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "kind": entry.kind,
        "action": entry.action,
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "role": entry.role,
        "center_id": entry.center_id,
        "patient_id": entry.patient_id,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "changes": entry.changes,
        "ip": entry.ip,
        "user_agent": entry.user_agent,
        "reason": entry.reason,
        "is_emergency": entry.is_emergency,
        "key_id": entry.key_id,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def row_mac(entry: Any) -> str:
    return hmac.new(_key(entry.key_id), canonical_content(entry), hashlib.sha256).hexdigest()


def link_mac(*, key_id: str, previous_mac: str, seq: int, entry_row_mac: str) -> str:
    message = f"{seq}|{previous_mac}|{entry_row_mac}".encode()
    return hmac.new(_key(key_id), message, hashlib.sha256).hexdigest()
