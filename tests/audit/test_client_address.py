"""The client address an audit entry and the sign-in lockout record, behind trusted proxies."""

from __future__ import annotations

from django.test import RequestFactory, override_settings

from ketaclinic.audit.context import client_ip


def request_from(remote: str, forwarded: str = ""):  # type: ignore[no-untyped-def]
    meta = {"REMOTE_ADDR": remote}
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


@override_settings(KETACLINIC_TRUSTED_PROXIES=0)
def test_without_trusted_proxies_the_header_is_ignored():
    assert client_ip(request_from("10.0.0.5", "203.0.113.9")) == "10.0.0.5"


@override_settings(KETACLINIC_TRUSTED_PROXIES=1)
def test_one_trusted_proxy_reports_the_client():
    assert client_ip(request_from("10.0.0.5", "198.51.100.1, 203.0.113.9")) == "203.0.113.9"


@override_settings(KETACLINIC_TRUSTED_PROXIES=2)
def test_a_forged_hop_that_is_not_an_address_is_not_believed():
    # Two proxies configured but only one in front: the first hop is the client's own text.
    assert client_ip(request_from("10.0.0.5", "'; DROP TABLE--, 203.0.113.9")) == "10.0.0.5"
    assert client_ip(request_from("10.0.0.5", "2001:db8::7, 203.0.113.9")) == "2001:db8::7"
