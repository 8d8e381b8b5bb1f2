"""Registering a monitor gives a token once; retiring it stops the token working."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from ketaclinic.audit.models import AuditEntry
from ketaclinic.sessions.models import MonitorDevice, VitalSign
from tests.sessions.steps import batch, post

# A batch's readings are ten minutes apart; started this long before the session, the last is now.
BATCH_SPAN = dt.timedelta(minutes=20)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("monitor_device", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_a_registered_monitor_posts_with_its_token_until_retired(center, session):
    printed = run("register", center.slug, "Chair 1A monitor")
    token = printed.split("Token (shown once; configure the monitor with it): ")[1].strip()
    device = MonitorDevice.objects.get()
    assert device.token_hash != token and len(device.token_hash) == 64  # only the digest is kept
    assert post(Client(), session, batch(session.starts_at - BATCH_SPAN), token=token).status_code == 200
    assert VitalSign.objects.filter(device=device).count() == len(batch(session.starts_at - BATCH_SPAN)["readings"])
    assert str(device.external_id) in run("list", center.slug)
    run("retire", str(device.external_id))
    assert "retired" in run("list", center.slug)
    assert post(Client(), session, batch(session.starts_at - BATCH_SPAN), token=token).status_code == 401
    actions = set(AuditEntry.objects.filter(center_id=center.pk).values_list("action", flat=True))
    assert {"monitor_device.registered", "monitor_device.retired"} <= actions


@pytest.mark.django_db
def test_bad_requests_say_what_is_wrong_and_change_nothing(center):
    with pytest.raises(CommandError, match="No center"):
        run("register", "nowhere", "Monitor")
    with pytest.raises(CommandError, match="Name the monitor"):
        run("register", center.slug, "  ")
    with pytest.raises(CommandError, match="No such monitor"):
        run("retire", "not-a-uuid")
    assert not MonitorDevice.objects.exists()
