"""Model validation as the domain speaks it: a failed ``full_clean`` is a RuleViolation."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from ketaclinic.core.errors import RuleViolation


def validated(instance: Any) -> None:
    """Run ``full_clean``; the first problem becomes a RuleViolation naming its field."""
    try:
        instance.full_clean()
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise RuleViolation(" ".join(messages), code="invalid", field=None if field == "__all__" else field) from None
