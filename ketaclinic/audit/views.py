from __future__ import annotations

import csv
from collections.abc import Iterator
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ketaclinic.audit.access import staff_view
from ketaclinic.audit.forms import AuditFilterForm, ReviewForm
from ketaclinic.audit.models import AuditEntry
from ketaclinic.audit.selectors import audit_entry_list
from ketaclinic.audit.services import EntryFacts, audit_event_record
from ketaclinic.core.permissions import Perm
from ketaclinic.http_errors import form_errors_from
from ketaclinic.patients.selectors.emergency_access import emergency_access_get, emergency_access_list
from ketaclinic.patients.services.emergency_access import emergency_access_review

CSV_COLUMNS = (
    "at", "kind", "action", "actor", "role", "center", "patient_mrn", "object_type", "object_id",
    "ip", "user_agent", "is_emergency", "reason", "changes", "seq",
)  # fmt: skip


class _Echo:
    def write(self, value: str) -> str:
        return value


@staff_view(Perm.AUDIT_VIEW, action="audit.report_viewed")
def audit_report_view(request: HttpRequest) -> HttpResponseBase:
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = audit_entry_list(
        actor=request.user,
        patient_mrn=filters.get("patient", ""),
        user=filters.get("user", ""),
        since=filters.get("since"),
        until=filters.get("until"),
        emergency_only=filters.get("emergency_only", False),
    )
    if request.GET.get("format") == "csv":
        # The rows stream after the view returns, so the export is recorded here, with its filters.
        audit_event_record(
            EntryFacts(kind="access", action="audit.csv_exported", actor=request.user, changes={"filters": filters})
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


@staff_view(Perm.AUDIT_REVIEW, action="audit.emergency_reviews_viewed")
def emergency_review_list_view(request: HttpRequest) -> HttpResponse:
    pending_only = request.GET.get("all") != "1"
    grants = emergency_access_list(actor=request.user, pending_review_only=pending_only)[:200]
    return render(
        request, "audit/emergency_reviews.html", {"grants": grants, "pending_only": pending_only, "form": ReviewForm()}
    )


@staff_view(Perm.AUDIT_REVIEW, action="emergency_access.reviewed")
@require_POST
def emergency_review_view(request: HttpRequest, grant_id: UUID) -> HttpResponse:
    grant = emergency_access_get(actor=request.user, grant_id=grant_id)
    form = ReviewForm(request.POST)
    if form.is_valid():
        with form_errors_from(form):
            emergency_access_review(actor=request.user, grant=grant, note=form.cleaned_data["note"])
            messages.success(request, _("Review recorded."))
            return redirect("audit:emergency_reviews")
    messages.error(request, _("Write what the review found."))
    return redirect("audit:emergency_reviews")
