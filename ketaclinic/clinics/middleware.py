from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from ketaclinic.clinics.actors import request_actor
from ketaclinic.clinics.selectors import active_center_get


class CenterTimeZoneMiddleware:
    """Show dates and times in the active center's time zone: a clinic's clock is its own.

    The actor this builds is kept on the request (``request.actor``), so the views' own
    permission checks reuse its roles.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        center = None
        if user is not None and user.is_authenticated:
            center = active_center_get(actor=request_actor(request), session=request.session)
        if center is None:
            return self.get_response(request)
        with timezone.override(center.zone):
            return self.get_response(request)
