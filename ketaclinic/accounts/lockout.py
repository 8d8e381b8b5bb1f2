"""Sign-in lockout: a user name after its own failures, an address after failures across names.

django-axes records every failed sign-in with its user name and the client's address, as the
trusted proxies report it (``AXES_CLIENT_IP_CALLABLE`` is ``audit.context.client_ip``, the
address audit entries record), and asks this handler how many failures count against a try.
The rule, also in docs/operations.md ("Sign-in lockout"):

- A user name is locked after ``AXES_FAILURE_LIMIT`` failures for that name, from any address.
- A client address is locked after ``KETACLINIC_LOCKOUT_ADDRESS_FAILURES`` failures across all
  names, for every name that has never signed in from that address. A name that has signed in
  from there before still gets in with its right password: guesses at other names never lock
  out the staff who work from that address, while a sprayer there finds no new name to get in.
- A try turned away by a lock is not checked and not counted
  (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT`` is off), so retrying at a locked address
  never adds to one's own name.
- Failures count for ``AXES_COOLOFF_TIME`` after a name's or an address's last one. A successful
  sign-in clears that name's failures only, never an address's guesses at other names.
"""

from __future__ import annotations

from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.db.models import QuerySet, Sum
from django.http import HttpRequest


class SignInLockout(AxesDatabaseHandler):
    """Axes' database handler with a limit per user name and a higher one per client address."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        """The failures that count against this try, on the user name's scale.

        Axes compares the answer with ``AXES_FAILURE_LIMIT``: the name's own failures, or the whole
        limit when the address is locked for this name.
        """
        username = get_client_username(request, credentials)
        recent = _recent_failures(request)
        name_failures = _total(recent.filter(username=username))
        address = request.axes_ip_address  # type: ignore[attr-defined]  # set by axes for every try
        if address and _address_locked_for(recent=recent, address=address, username=username):
            return max(name_failures, get_failure_limit(request, credentials))
        return name_failures

    def reset_user_attempts(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        """After a successful sign-in, forget that name's failures, and only those."""
        count, _ = AccessAttempt.objects.filter(username=get_client_username(request, credentials)).delete()
        return count


def _recent_failures(request: HttpRequest) -> QuerySet[AccessAttempt]:
    attempts = AccessAttempt.objects.all()
    if settings.AXES_COOLOFF_TIME is None:
        return attempts
    return attempts.filter(attempt_time__gte=get_cool_off_threshold(request))


def _address_locked_for(*, recent: QuerySet[AccessAttempt], address: str, username: str | None) -> bool:
    if _total(recent.filter(ip_address=address)) < settings.KETACLINIC_LOCKOUT_ADDRESS_FAILURES:
        return False
    signed_in_here_before = AccessLog.objects.filter(username=username, ip_address=address).exists()
    return not signed_in_here_before


def _total(attempts: QuerySet[AccessAttempt]) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
