"""Secret tokens in links and device credentials: only their digest is ever stored."""

from __future__ import annotations

import hashlib


def token_digest(token: str) -> str:
    """The SHA-256 of a token, as stored in place of the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()
