"""The JSON API (django-ninja, OpenAPI at /api/v1/openapi.json). Domain errors map in one place."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern
from ninja import NinjaAPI

from ketaclinic.core.errors import DomainError
from ketaclinic.sessions.api import router as sessions_router

api = NinjaAPI(title="ketaclinic", version="1", urls_namespace="api", docs_url=None)
api.add_router("/", sessions_router)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    body = {"code": exc.code, "message": str(exc.message), "field": exc.field}
    return api.create_response(request, body, status=exc.http_status)


def api_urls() -> tuple[list[URLPattern], str, str]:
    """The API's URLs, exempt from the sign-in redirect: devices authenticate with a token."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = login_not_required(pattern.callback)
            pattern.callback.is_token_api = True  # type: ignore[attr-defined]
    return patterns, app_name, namespace  # type: ignore[return-value]
