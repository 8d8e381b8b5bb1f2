"""Steps every app's tests take: a member of staff signed in to the site."""

from __future__ import annotations

from django.test import Client


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client(HTTP_USER_AGENT="pytest-client/1.0")
    client.force_login(user)
    return client
