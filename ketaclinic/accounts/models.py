from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A member of staff. What they may do comes from their roles at each center."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    credentials = models.CharField(
        max_length=40, blank=True, help_text="Professional title shown after the name, e.g. RN, MD."
    )
    failed_signature_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    signing_locked_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        name = self.get_full_name() or self.username
        return f"{name}, {self.credentials}" if self.credentials else name
