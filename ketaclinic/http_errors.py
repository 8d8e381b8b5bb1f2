"""The one place domain errors become HTTP responses or form errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ketaclinic.core.errors import Conflict, DomainError, NotFound, RuleViolation


class DomainErrorMiddleware:
    """Render a page for a domain error that escaped a view: 404, 403, 409 or 422."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        return render(
            request,
            "error.html",
            {"message": exception.message, "code": exception.code, "status": exception.http_status},
            status=exception.http_status,
        )


@contextmanager
def form_errors_from(form: forms.BaseForm) -> Iterator[None]:
    """Put a domain error raised inside the block on the form, so the page re-renders with it.

    Forbidden is left to propagate: a refused action is a page, not a form message.
    """
    try:
        yield
    except (RuleViolation, Conflict, NotFound) as error:
        field = error.field if error.field in form.fields else None
        form.add_error(field, error.message)


def not_found_view(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "error.html", {"message": "Page not found.", "status": 404}, status=404)


def forbidden_view(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "error.html", {"message": "You do not have access to this page.", "status": 403}, status=403)
