from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from ketaclinic.clinics.selectors import active_center_get


class CenterTimeZoneMiddleware:
    """Show dates and times in the active center's time zone: a clinic's clock is its own.

    The roles this reads are cached on the user for the request, so the views' own permission
    checks reuse them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        center = None
        if user is not None and user.is_authenticated:
            center = active_center_get(actor=user, session=request.session)
        if center is None:
            return self.get_response(request)
        with timezone.override(center.zone):
            return self.get_response(request)
