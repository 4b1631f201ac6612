"""Login throttling (OWASP ASVS V2.2), client addresses behind proxies, and login timing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from mediation_svc.security.proxies import client_address, parse_trusted
from mediation_svc.security.throttle import growing_delay

TOKEN = "/api/v1/auth/token"
PASSWORD = "correct-horse-42"


def peer_client(app, address: str) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, client=(address, 40000))


def attempt(client, username, password, forwarded=None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post(TOKEN, data={"username": username, "password": password}, headers=headers)


def test_a_forwarded_header_from_an_untrusted_peer_is_ignored(app, make_user, settings):
    """By default no proxy is trusted: rotating X-Forwarded-For does not give a sprayer fresh buckets."""
    make_user("admin", username="admin.a")
    with peer_client(app, "127.0.0.1") as client:
        statuses = [attempt(client, f"user{n}", "guess-guess-guess", forwarded=f"203.0.113.{n}").status_code
                    for n in range(settings.login_max_attempts_per_address + 2)]
    assert statuses[:settings.login_max_attempts_per_address] == [401] * settings.login_max_attempts_per_address
    assert statuses[-1] == 429


def test_behind_a_trusted_proxy_each_client_has_its_own_bucket(app, make_user, settings):
    """Behind the center's proxy, one noisy client does not lock out the others, nor the real user."""
    settings.trusted_proxies = "10.0.0.0/8"
    make_user("case_officer", username="officer.b")
    with peer_client(app, "10.1.2.3") as proxy:
        for n in range(settings.login_max_attempts_per_address):
            assert attempt(proxy, f"user{n}", "guess-guess-guess", forwarded="198.51.100.7").status_code == 401
        assert attempt(proxy, "officer.b", PASSWORD, forwarded="198.51.100.7").status_code == 429
        # a spoofed first hop does not help: the proxy's own entry (the rightmost untrusted) is the client
        assert attempt(proxy, "officer.b", PASSWORD, forwarded="192.0.2.1, 198.51.100.7").status_code == 429
        assert attempt(proxy, "officer.b", PASSWORD, forwarded="198.51.100.8").status_code == 200


def test_an_attack_on_one_account_does_not_lock_its_owner_out(app, make_user, settings):
    """Twenty wrong passwords for the admin from twenty addresses: the admin, from the address they use,
    still logs in; a new address has to wait a growing delay, never a 15-minute lockout."""
    settings.trusted_proxies = "10.0.0.0/8"
    make_user("admin", username="admin.c")
    with peer_client(app, "10.0.0.1") as proxy:
        assert attempt(proxy, "admin.c", PASSWORD, forwarded="198.51.100.20").status_code == 200  # the owner
        statuses = [attempt(proxy, "admin.c", f"wrong-{n}-password", forwarded=f"203.0.113.{n}").status_code
                    for n in range(20)]
        assert statuses[:settings.login_max_attempts_per_account] == [401] * settings.login_max_attempts_per_account
        assert 429 in statuses  # the attacker is slowed down
        delayed = attempt(proxy, "admin.c", PASSWORD, forwarded="203.0.113.200")
        assert delayed.status_code == 429 and 0 < int(delayed.headers["Retry-After"]) <= settings.login_delay_max_seconds
        assert attempt(proxy, "admin.c", PASSWORD, forwarded="198.51.100.20").status_code == 200  # the owner


def test_five_failures_lock_the_account_only_from_that_address(app, make_user):
    make_user("mediator", username="mediator.d")
    with peer_client(app, "192.0.2.10") as noisy, peer_client(app, "192.0.2.11") as other:
        for _ in range(5):
            assert attempt(noisy, "mediator.d", "wrong-password-x").status_code == 401
        assert attempt(noisy, "mediator.d", PASSWORD).status_code == 429
        assert attempt(other, "mediator.d", PASSWORD).status_code in (200, 429)  # at most a short delay


@pytest.mark.parametrize("peer, header, trusted, expected", [
    ("127.0.0.1", "203.0.113.9", "", "127.0.0.1"),
    ("10.0.0.2", "203.0.113.9", "10.0.0.0/8", "203.0.113.9"),
    ("10.0.0.2", "203.0.113.9, 10.0.0.3", "10.0.0.0/8", "203.0.113.9"),
    ("10.0.0.2", "198.51.100.1, 203.0.113.9", "10.0.0.0/8", "203.0.113.9"),
    ("192.0.2.1", "203.0.113.9", "10.0.0.0/8", "192.0.2.1"),
    ("10.0.0.2", "not-an-address", "10.0.0.0/8", "10.0.0.2"),
    ("10.0.0.2", None, "10.0.0.0/8", "10.0.0.2"),
    ("::1", "2001:db8::5", "::1", "2001:db8::5"),
])
def test_client_address_on_plain_values(peer, header, trusted, expected):
    assert client_address(peer, header, parse_trusted(trusted)) == expected


def test_growing_delays_are_capped():
    assert [growing_delay(n, free=5, cap_seconds=60) for n in (0, 4, 5, 6, 7, 10, 30)] == [0, 0, 1, 2, 4, 32, 60]


def test_an_unknown_user_costs_a_password_verification_too(client, monkeypatch):
    """Timing: the unknown user's login verifies against a dummy hash, as a known user's does."""
    from mediation_svc.security import passwords

    calls = []

    class Recording:
        def __init__(self, hasher):
            self.hasher = hasher

        def verify(self, stored, password):
            calls.append(stored)
            return self.hasher.verify(stored, password)

    monkeypatch.setattr(passwords, "_hasher", Recording(passwords._hasher))
    assert attempt(client, "nobody-at-all", "whatever-password").status_code == 401
    assert calls == [passwords._dummy_hash]
