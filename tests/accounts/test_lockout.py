"""Sign-in lockout behind a reverse proxy: per user name, and per client address as the proxy reports it."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client, override_settings
from django.urls import reverse

from ketaclinic.core.permissions import Role
from tests.factories import PASSWORD, StaffFactory

LOGIN = reverse("accounts:login")
PROXY = "10.0.0.1"
OUTSIDER = "203.0.113.7"
FRONT_DESK = "198.51.100.20"
BACK_OFFICE = "198.51.100.21"

behind_one_proxy = override_settings(
    KETACLINIC_TRUSTED_PROXIES=1, AXES_FAILURE_LIMIT=5, KETACLINIC_LOCKOUT_ADDRESS_FAILURES=20
)


def sign_in_from(client_address: str, username: str, password: str = PASSWORD) -> tuple[Client, int]:
    """A sign-in through the proxy, which adds the client's address to X-Forwarded-For."""
    client = Client()
    response = client.post(
        LOGIN,
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=f"192.0.2.99, {client_address}",  # the first hop is the client's own claim
    )
    return client, response.status_code


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
@behind_one_proxy
def test_guesses_at_made_up_names_do_not_lock_out_staff_behind_the_same_proxy(center):
    nurse = StaffFactory(center=center, role=Role.NURSE, with_password=True)
    for n in range(5):
        sign_in_from(OUTSIDER, f"admin{n}", "wrong password")

    client, status = sign_in_from(FRONT_DESK, nurse.username)

    assert status == 302
    assert signed_in(client)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {OUTSIDER}


@pytest.mark.django_db
@behind_one_proxy
def test_five_wrong_passwords_for_a_name_lock_that_name_from_every_address(center):
    nurse = StaffFactory(center=center, role=Role.NURSE, with_password=True)
    colleague = StaffFactory(center=center, role=Role.NURSE, with_password=True)
    for n in range(5):
        sign_in_from(f"203.0.113.{10 + n}", nurse.username, "wrong password")

    client, status = sign_in_from(FRONT_DESK, nurse.username)
    assert status == 429
    assert not signed_in(client)
    colleague_client, colleague_status = sign_in_from("203.0.113.10", colleague.username)
    assert colleague_status == 302
    assert signed_in(colleague_client)


@pytest.mark.django_db
@behind_one_proxy
def test_a_locked_address_still_lets_in_staff_who_signed_in_there_before(center):
    nurse = StaffFactory(center=center, role=Role.NURSE, with_password=True)
    newcomer = StaffFactory(center=center, role=Role.NURSE, with_password=True)
    assert signed_in(sign_in_from(FRONT_DESK, nurse.username)[0])
    for n in range(20):
        sign_in_from(FRONT_DESK, f"guess{n}", "wrong password")

    assert sign_in_from(FRONT_DESK, "guess-one-more", "wrong password")[1] == 429
    nurse_client, nurse_status = sign_in_from(FRONT_DESK, nurse.username)
    assert nurse_status == 302
    assert signed_in(nurse_client)
    # The nurse's sign-in forgave her own failures, not the guesses at other names.
    for _ in range(5):
        newcomer_client, newcomer_status = sign_in_from(FRONT_DESK, newcomer.username)
        assert newcomer_status == 429
        assert not signed_in(newcomer_client)
    # Tries turned away at the locked address were not counted against the newcomer's name.
    elsewhere, status = sign_in_from(BACK_OFFICE, newcomer.username)
    assert status == 302
    assert signed_in(elsewhere)
