"""Fixtures the pharmacy tests share."""

from __future__ import annotations

import pytest

from ketaclinic.core.permissions import Role
from tests.factories import StaffFactory


@pytest.fixture
def witness(center):  # type: ignore[no-untyped-def]
    """A nurse who signs, with her password, for a change to a lot's stock."""
    return StaffFactory(center=center, role=Role.NURSE, with_password=True)
