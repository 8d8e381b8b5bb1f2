"""Steps every app's tests take: a member of staff signed in to the site, or acting in a service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.test import Client

from ketaclinic.clinics.actors import Actor

if TYPE_CHECKING:
    from ketaclinic.accounts.models import User

_ACTING = "_tests_acting"


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client(HTTP_USER_AGENT="pytest-client/1.0")
    client.force_login(user)
    return client


def acting(user: User) -> Actor:
    """The member of staff as a service is handed them: roles read once per user object.

    A request builds its actor once; a test that calls several services as the same user
    object gets the same actor each time, so it pays the roles query once, as a page does.
    """
    actor = getattr(user, _ACTING, None)
    if not isinstance(actor, Actor):
        actor = Actor.of(user)
        setattr(user, _ACTING, actor)
    return actor
