from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ketaclinic.audit.records import AppendOnlyQuerySet


class AuditEntry(models.Model):
    """One event in the tamper-evident trail: a read of patient data, a change, a sign-in.

    ``row_mac`` is an HMAC of the entry's content, written with the row, so an edit is
    detectable at once. ``seq`` and ``chain_mac`` are filled when the entry is sealed into
    the chain, which makes a removed or reordered entry detectable too.
    """

    class Kind(models.TextChoices):
        ACCESS = "access", _("Access")
        CHANGE = "change", _("Change")
        SECURITY = "security", _("Security")

    entry_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    at = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    action = models.CharField(max_length=64)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    role = models.CharField(max_length=120, blank=True)
    center = models.ForeignKey(
        "clinics.TreatmentCenter", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey("patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    reason = models.TextField(blank=True)
    is_emergency = models.BooleanField(default=False)
    key_id = models.CharField(max_length=20)
    row_mac = models.CharField(max_length=64)
    seq = models.BigIntegerField(null=True, blank=True, unique=True)
    chain_mac = models.CharField(max_length=64, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["patient", "-at"], name="audit_patient_at"),
            models.Index(fields=["actor", "-at"], name="audit_actor_at"),
            models.Index(fields=["center", "-at"], name="audit_center_at"),
            models.Index(fields=["-at"], name="audit_at"),
            models.Index(fields=["seq"], name="audit_unsealed", condition=models.Q(seq__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}"

    def changed_fields(self) -> list[tuple[str, Any, Any]]:
        """(field, before, after) for each change; a value stored alone is what it became.

        The record history page reads these rather than ``changes.items``: in a template a
        record's own field called ``items`` would shadow the dictionary's method.
        """
        rows = []
        for field, value in (self.changes or {}).items():
            if isinstance(value, list) and len(value) == 2:
                rows.append((field, value[0], value[1]))
            else:
                rows.append((field, None, value))
        return rows

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        from ketaclinic.audit.records import HistoryBypassed

        raise HistoryBypassed("Audit entries are append-only.")


class AuditChain(models.Model):
    """The head of the chain: the last sealed entry's number and MAC."""

    name = models.CharField(max_length=20, unique=True)
    last_seq = models.BigIntegerField(default=0)
    last_mac = models.CharField(max_length=64, blank=True)
    sealed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_seq}"
