"""Clinical records keep their history: no bulk path may change one unrecorded.

``QuerySet.update``, ``bulk_update`` and every delete skip the services that write history,
so they are refused on clinical models. ``bulk_create`` is allowed only when told who is
creating the rows; it then writes one history entry per row in one more statement.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

from django.db import models, transaction

from ketaclinic.audit.actions import BULK_CREATED

if TYPE_CHECKING:
    from ketaclinic.accounts.models import User


class HistoryBypassed(Exception):
    """A write tried to go around the service layer that records history."""


@dataclass(frozen=True, slots=True)
class ChangeAuthor:
    """Who is making a bulk change: a staff member, or a named system job such as seed_demo."""

    actor: User | None
    label: str
    reason: str = ""


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        raise HistoryBypassed(f"{self.model.__name__} rows cannot be changed in bulk.")

    def bulk_update(self, objs: Iterable[Any], fields: Iterable[str], batch_size: int | None = None) -> int:
        raise HistoryBypassed(f"{self.model.__name__} rows cannot be changed in bulk.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise HistoryBypassed(f"{self.model.__name__} rows are never deleted.")


class ClinicalQuerySet(AppendOnlyQuerySet):
    def bulk_create(  # type: ignore[override]
        self, objs: Iterable[Any], batch_size: int | None = None, *, recorded_by: ChangeAuthor | None = None
    ) -> list[Any]:
        if recorded_by is None:
            raise HistoryBypassed(f"{self.model.__name__}.bulk_create needs recorded_by so each row gets its history.")
        if self.model._meta.label_lower not in BULK_CREATED:
            raise HistoryBypassed(f"{self.model.__name__} has no bulk-created action in audit.actions.BULK_CREATED.")
        from ketaclinic.audit.services import audit_bulk_created_record

        # The rows and their history commit together, in the caller's transaction or in this one.
        with transaction.atomic(using=self.db):
            created = super().bulk_create(list(objs), batch_size=batch_size)
            audit_bulk_created_record(author=recorded_by, instances=created, batch_size=batch_size)
        return created

    def in_use(self) -> Self:
        """Rows not marked as entered in error."""
        return self.filter(entered_in_error_at__isnull=True)


class AboutOnePatient:
    """For rows about one patient: clinical records, and rows that are not (links, grants)."""

    @property
    def audit_patient_id(self) -> int | None:
        """The patient whose record this row belongs to, for audit entries."""
        return getattr(self, "patient_id", None)

    @property
    def audit_center_id(self) -> int | None:
        patient = getattr(self, "patient", None)
        return getattr(patient, "center_id", None)


class ClinicalRecord(AboutOnePatient, models.Model):
    """Base for every row of a patient's record: amended or marked in error, never deleted."""

    entered_in_error_at = models.DateTimeField(null=True, blank=True, editable=False)
    entered_in_error_reason = models.TextField(blank=True, editable=False)

    objects = ClinicalQuerySet.as_manager()

    # Fields left out of history diffs: bookkeeping, not clinical content.
    history_exclude: tuple[str, ...] = ("created_at", "updated_at")

    class Meta:
        abstract = True

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise HistoryBypassed(f"{type(self).__name__} rows are never deleted; mark them entered in error.")

    @property
    def is_entered_in_error(self) -> bool:
        return self.entered_in_error_at is not None
