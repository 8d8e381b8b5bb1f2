"""Where the current request came from, for audit entries written deeper down."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True, slots=True)
class RequestOrigin:
    ip: str | None
    user_agent: str


NO_ORIGIN = RequestOrigin(ip=None, user_agent="")
_origin: ContextVar[RequestOrigin] = ContextVar("ketaclinic_request_origin", default=NO_ORIGIN)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address; X-Forwarded-For only counts behind a configured number of proxies."""
    proxies = settings.KETACLINIC_TRUSTED_PROXIES
    if proxies:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        # A hop that is not an address (more proxies configured than there are, so the client's
        # own header is read) is not believed: the connection's address is kept instead.
        if len(hops) >= proxies and _is_address(hops[-proxies]):
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def origin_of(request: HttpRequest) -> RequestOrigin:
    return RequestOrigin(ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", "")[:300])


def current_origin() -> RequestOrigin:
    return _origin.get()


@contextmanager
def origin(value: RequestOrigin) -> Iterator[None]:
    token = _origin.set(value)
    try:
        yield
    finally:
        _origin.reset(token)


class RequestOriginMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with origin(origin_of(request)):
            return self.get_response(request)
