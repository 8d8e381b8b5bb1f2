from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _

from ketaclinic.staff.mfa import MFA_SETUP, MFA_STEP_KEY, MFA_VERIFY, mfa_step_for

LAST_SEEN_KEY = "ketaclinic_last_seen"
# Saving the session on every request would cost a write per page; a minute's
# granularity is plenty for a 15-minute idle limit.
LAST_SEEN_RESOLUTION_SECONDS = 60
# Screens that refresh themselves (the chair board, the flowsheet's readings) send this header
# from their polling element: hx-headers='{"X-Poll": "1"}'. HTMX passes hx-headers down to the
# element's children, so only a GET counts as a poll, and a polling element holds no hx-* controls.
POLL_HEADER = "X-Poll"


class IdleTimeoutMiddleware:
    """Sign staff out after a stretch without a person's action (default 15 minutes).

    A screen's own refreshes never renew the idle timer, so a board left open asks for the
    password again after the idle time: the first poll after it takes the page to the sign-in.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN_KEY, now)
            if now - last_seen > settings.KETACLINIC_IDLE_TIMEOUT_MINUTES * 60:
                logout(request)
                messages.info(request, _("You were signed out after a period without activity."))
                return _to(request, reverse("accounts:login"))
            first_seen = LAST_SEEN_KEY not in request.session
            if first_seen or (not is_poll(request) and now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS):
                request.session[LAST_SEEN_KEY] = now
        return _sign_in_page_not_swapped_in(request, self.get_response(request))


def is_poll(request: HttpRequest) -> bool:
    """A screen refreshing itself in the background, not a person's action."""
    return request.method == "GET" and request.headers.get("HX-Request") == "true" and POLL_HEADER in request.headers


def _sign_in_page_not_swapped_in(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """A signed-out HTMX request goes to the sign-in page instead of getting it inside a panel."""
    if request.headers.get("HX-Request") and response.status_code == 302:
        location = response["Location"]
        if location.split("?", 1)[0] == resolve_url(settings.LOGIN_URL):
            return _to(request, location)
    return response


MFA_EXEMPT_URL_NAMES = {"accounts:verify", "accounts:mfa_setup", "accounts:logout", "accounts:login", "health"}


class MultiFactorRequiredMiddleware:
    """Until a second factor is verified, a signed-in user can only reach the MFA pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., HttpResponse], args: object, kwargs: object
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or user.is_verified():  # type: ignore[attr-defined]  # django-otp adds it
            return None
        match = request.resolver_match
        if match is not None and match.view_name in MFA_EXEMPT_URL_NAMES:
            return None
        # Worked out once per sign-in and kept in the session, so pages pay no query for it.
        step = request.session.get(MFA_STEP_KEY)
        if step is None:
            step = mfa_step_for(user)
            request.session[MFA_STEP_KEY] = step
        if step == MFA_VERIFY:
            return _to(request, reverse("accounts:verify"))
        if step == MFA_SETUP:
            return _to(request, reverse("accounts:mfa_setup"))
        return None


def _to(request: HttpRequest, url: str) -> HttpResponse:
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)
