from __future__ import annotations

import csv
from collections.abc import Iterator

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone

from ketaclinic.audit.access import staff_view
from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.forms import AuditFilterForm
from ketaclinic.audit.models import AuditEntry
from ketaclinic.audit.selectors import audit_entry_list
from ketaclinic.audit.services import EntryFacts, audit_event_alone
from ketaclinic.clinics.actors import StaffRequest
from ketaclinic.core.permissions import Perm

CSV_COLUMNS = (
    "at", "kind", "action", "actor", "role", "center", "patient_mrn", "object_type", "object_id",
    "ip", "user_agent", "is_emergency", "reason", "changes", "seq",
)  # fmt: skip


class _Echo:
    def write(self, value: str) -> str:
        return value


@staff_view(Perm.AUDIT_VIEW, action=AuditAction.AUDIT_REPORT_VIEWED)
def audit_report_view(request: StaffRequest) -> HttpResponseBase:
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = audit_entry_list(
        actor=request.actor,
        patient_mrn=filters.get("patient", ""),
        user=filters.get("user", ""),
        since=filters.get("since"),
        until=filters.get("until"),
        emergency_only=filters.get("emergency_only", False),
    )
    if request.GET.get("format") == "csv":
        # The rows stream after the view returns, so the export is recorded here, with its filters.
        audit_event_alone(
            EntryFacts(
                kind="access",
                action=AuditAction.AUDIT_CSV_EXPORTED,
                actor=request.actor.user,
                changes={"filters": filters},
            )
        )
        return _csv(entries)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(request, "audit/report.html", {"form": form, "page": page, "query": query.urlencode()})


def _csv(entries: QuerySet[AuditEntry]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield writer.writerow(CSV_COLUMNS)
        for entry in entries.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    entry.at.isoformat(),
                    entry.kind,
                    entry.action,
                    entry.actor_label,
                    entry.role,
                    entry.center.name if entry.center else "",
                    entry.patient.mrn if entry.patient else "",
                    entry.object_type,
                    entry.object_id,
                    entry.ip or "",
                    entry.user_agent,
                    entry.is_emergency,
                    entry.reason,
                    entry.changes,
                    entry.seq or "",
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="audit-{timezone.localdate():%Y%m%d}.csv"'
    return response
