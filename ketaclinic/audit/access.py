"""The one decorator every staff view wears: role check, then an access entry per patient shown.

Patients are noticed as they are loaded from the database (``Patient.from_db`` tells the
active recorder), so a view cannot show a patient without the read being recorded, and a
page that shows many patients records them all in a single INSERT. A page refused for a role
or a center (403 or 404) leaves an ``access.refused`` entry instead.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.models import AuditEntry
from ketaclinic.audit.services import EntryFacts, audit_entries_write, audit_entry_build, audit_event_alone
from ketaclinic.clinics.actors import Actor, request_actor
from ketaclinic.core.errors import DomainError, Forbidden, NotFound
from ketaclinic.core.permissions import Perm


class AccessRecorder:
    __slots__ = ("shown",)

    def __init__(self) -> None:
        self.shown: dict[tuple[str, int], Any] = {}


_recorder: ContextVar[AccessRecorder | None] = ContextVar("ketaclinic_access_recorder", default=None)


def person_loaded(record: Any) -> None:
    """Called from ``from_db`` of every model that identifies a person (patients, inquiries)."""
    recorder = _recorder.get()
    if recorder is not None and record.pk is not None:
        recorder.shown.setdefault((record._meta.label_lower, record.pk), record)


def access_entries_write(*, actor: Actor, action: AuditAction, records: list[Any]) -> None:
    if not records or not settings.KETACLINIC_ACCESS_AUDIT:
        return
    own_centers = set(actor.centers_with(Perm.PATIENT_VIEW))
    entries = []
    for record in records:
        center_id = record.audit_center_id
        is_patient = record._meta.label_lower == "patients.patient"
        entries.append(
            audit_entry_build(
                EntryFacts(
                    kind=AuditEntry.Kind.ACCESS,
                    action=action,
                    actor=actor.user,
                    role=actor.role_at(center_id),
                    center_id=center_id,
                    patient_id=record.audit_patient_id,
                    object_type=record._meta.label_lower,
                    object_id=str(record.external_id),
                    # Outside the actor's own centers a patient is only reachable through a
                    # break-the-glass grant, so the read is flagged for review.
                    is_emergency=is_patient and center_id not in own_centers,
                )
            )
        )
    # A read has no row to commit with: its entries commit on their own, after the view (no
    # savepoint inside a caller's transaction: a failed insert fails the whole of it).
    with transaction.atomic(savepoint=False):
        audit_entries_write(entries)


def access_refused_record(*, request: HttpRequest, refusal: DomainError, path_kwargs: dict[str, Any]) -> None:
    """Record a staff page refused for a role or a center (403 or 404): HIPAA 164.312(b) asks for
    access attempts, not only accesses.

    The entry holds who asked, which page and the ids in its path; never what the page would
    have shown, nor whether the record exists: no patient and no center.
    """
    if not settings.KETACLINIC_ACCESS_AUDIT or not request.user.is_authenticated:
        return
    ids = {name: str(value) for name, value in path_kwargs.items() if isinstance(value, UUID)}
    object_type, object_id = next(iter(ids.items()), ("", ""))
    match = request.resolver_match
    audit_event_alone(
        EntryFacts(
            kind=AuditEntry.Kind.ACCESS,
            action=AuditAction.ACCESS_REFUSED,
            actor=request.user,
            object_type=object_type.removesuffix("_id"),
            object_id=object_id,
            changes={
                "view": match.view_name if match else "",
                "status": refusal.http_status,
                "code": refusal.code,
                "ids": ids,
            },
        )
    )


def staff_view(
    perm: Perm, *, action: AuditAction
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Require ``perm`` at one of the user's centers and record every patient the view shows.

    The permission is declared on the view, where the role-by-URL test reads it. The view is
    handed a ``StaffRequest``: the signed-in user's ``Actor`` is built once, on ``request.actor``.
    The view hands ``perm`` to the patient selectors it calls; nothing reads it from here.
    """

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                actor = request_actor(request)
                actor.require(perm)
                recorder = AccessRecorder()
                token = _recorder.set(recorder)
                try:
                    response = view(request, *args, **kwargs)
                finally:
                    _recorder.reset(token)
            except (Forbidden, NotFound) as refusal:
                access_refused_record(request=request, refusal=refusal, path_kwargs=kwargs)
                raise
            # A form re-shown with errors (422) still shows the record, so it is recorded too.
            if response.status_code < 400 or response.status_code == 422:
                access_entries_write(actor=actor, action=action, records=list(recorder.shown.values()))
            return response

        wrapper.required_perm = perm  # type: ignore[attr-defined]
        wrapper.access_action = action  # type: ignore[attr-defined]
        return wrapper

    return decorate


def public_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Mark a view that needs no sign-in and shows no patient data (sign-in pages, health check)."""
    from django.contrib.auth.decorators import login_not_required

    view = login_not_required(view)
    view.is_public = True  # type: ignore[attr-defined]
    return view


def signed_in_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Mark a view any signed-in member of staff may use because it shows no patient data."""
    view.is_signed_in_only = True  # type: ignore[attr-defined]
    return view
