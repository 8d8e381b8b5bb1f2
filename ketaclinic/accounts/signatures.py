"""Signing a clinical record with one's password, with its own lockout.

Sign-in lockout (django-axes) does not cover a session that is already signed in, so repeated
wrong passwords at a signature lock signing for a while too.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.core.errors import Forbidden

if TYPE_CHECKING:
    from ketaclinic.accounts.models import User

MAX_SIGNATURE_FAILURES = 5
SIGNING_LOCK = dt.timedelta(minutes=15)
# The codes a refused signature carries: a signer's slip, to show on the form, not a refused page.
SIGNATURE_REFUSALS = frozenset({"signature_failed", "signing_locked"})


def signature_password_check(*, signer: User, password: str) -> None:
    """Raise Forbidden unless ``password`` is the signer's; five misses lock signing for 15 minutes."""
    from ketaclinic.accounts.models import User

    now = timezone.now()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=signer.pk)
        if user.signing_locked_until and user.signing_locked_until > now:
            raise Forbidden(_("Signing is locked for a while after repeated wrong passwords."), code="signing_locked")
        if user.check_password(password):
            if user.failed_signature_attempts:
                user.failed_signature_attempts, user.signing_locked_until = 0, None
                user.save(update_fields=["failed_signature_attempts", "signing_locked_until"])
            return
        user.failed_signature_attempts += 1
        if user.failed_signature_attempts >= MAX_SIGNATURE_FAILURES:
            user.failed_signature_attempts, user.signing_locked_until = 0, now + SIGNING_LOCK
        user.save(update_fields=["failed_signature_attempts", "signing_locked_until"])
    raise Forbidden(_("The password did not match; nothing was signed."), code="signature_failed")
