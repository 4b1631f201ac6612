"""Integers beyond 64 bits are a 422 problem on every operation, not a 500 from the database."""

from __future__ import annotations

import pytest

from mediation_svc.security.integers import _out_of_range

BIG = str(2 ** 63)


@pytest.mark.parametrize("method, path, kwargs", [
    ("get", f"/api/v1/cases/{BIG}", {}),
    ("get", "/api/v1/cases", {"params": {"limit": BIG}}),
    ("get", "/api/v1/cases", {"params": {"offset": "9" * 30}}),
    ("get", f"/api/v1/signing-requests/{BIG}", {}),
    ("get", f"/api/v1/cases/1/drafts/{BIG}", {}),
    ("post", f"/api/v1/cases/{BIG}/transitions", {"json": {"status": "accepted"}}),
    ("post", "/api/v1/cases/1/shares", {"json": {"court_user_id": 2 ** 64, "days": 3}}),
    ("post", "/api/v1/cases/1/judicial/court-shares", {"json": {"court_user_id": -(2 ** 63) - 1, "days": 3}}),
    ("get", f"/api/v1/pki/certificates?case_id={BIG}", {}),
])
def test_huge_integers_are_refused_with_a_problem(client, make_user, auth, method, path, kwargs):
    officer = make_user("case_officer")
    r = getattr(client, method)(path, headers=auth(officer), **kwargs)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"] == "urn:mediation-svc:problem:integer-out-of-range"


def test_the_largest_64_bit_integer_is_just_not_found(client, engine, make_user, auth):
    officer = make_user("case_officer")
    r = client.get(f"/api/v1/cases/{2 ** 63 - 1}", headers=auth(officer))
    # ids are INTEGER keys: one past 2^31 names no record, on SQLite and PostgreSQL alike
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json"), r.text


@pytest.mark.parametrize("path", [f"/api/v1/cases/{2 ** 31}", f"/api/v1/pools/{2 ** 33}/members/1",
                                  f"/api/v1/cases/{-(2 ** 35)}/parties/1/account?user_id=1"])
def test_ids_beyond_a_32_bit_column_are_never_a_500(client, make_user, auth, path):
    method = "put" if "/members/" in path else ("post" if path.endswith("user_id=1") else "get")
    r = getattr(client, method)(path, headers=auth(make_user("admin")))
    assert r.status_code in (404, 422) and r.headers["content-type"].startswith("application/problem+json"), r.text


@pytest.mark.parametrize("text, out", [("9223372036854775807", False), ("9223372036854775808", True),
                                       ("-9223372036854775808", False), ("-9223372036854775809", True),
                                       ("0000000000000000000000001", False), ("12a", False), ("+-1", False),
                                       ("9" * 5000, True)])
def test_range_on_plain_values(text, out):
    assert _out_of_range(text) is out


def test_an_id_in_a_body_beyond_the_key_column_is_refused_not_a_500(client, make_user, make_case, auth):
    """2^40 fits the 64-bit rule but not PostgreSQL's INTEGER key: the database refuses the value, the
    service answers 404 or 422 problem+json, never 500 (on SQLite it is simply not found)."""
    officer = make_user("case_officer")
    case = make_case(officer=officer)
    answer = client.post(f"/api/v1/cases/{case.id}/shares", json={"court_user_id": 2 ** 40, "days": 30},
                         headers=auth(officer))
    assert answer.status_code in (404, 422), answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
