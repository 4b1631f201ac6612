"""Staff second factor (TOTP, RFC 6238), recovery codes, password change and the password policy."""

from __future__ import annotations

import time

import pyotp
import pytest
from sqlmodel import Session, select

from mediation_svc.accounts.models import RecoveryCode, User
from mediation_svc.security import password_policy

TOKEN = "/api/v1/auth/token"
PASSWORD = "correct-horse-42"


def enrol(client, headers) -> tuple[pyotp.TOTP, list[str]]:
    begun = client.post("/api/v1/users/me/second-factor", headers=headers)
    assert begun.status_code == 201, begun.text
    assert begun.json()["otpauth_uri"].startswith("otpauth://totp/mediation-svc:")
    totp = pyotp.TOTP(begun.json()["secret"])
    assert client.post("/api/v1/users/me/second-factor/confirm", headers=headers,
                       json={"code": "000000" if totp.now() != "000000" else "111111"}).status_code == 401
    confirmed = client.post("/api/v1/users/me/second-factor/confirm", headers=headers, json={"code": totp.now()})
    assert confirmed.status_code == 200, confirmed.text
    return totp, confirmed.json()["recovery_codes"]


def login(client, username, password=PASSWORD, code=None):
    data = {"username": username, "password": password}
    if code is not None:
        data["totp_code"] = code
    return client.post(TOKEN, data=data)


def test_an_enrolled_officer_needs_the_code_and_a_code_works_once(client, make_user, auth, engine):
    officer = make_user("case_officer", username="officer.totp")
    totp, recovery = enrol(client, auth(officer))
    assert len(recovery) == 10 and len(set(recovery)) == 10
    with Session(engine) as s:
        stored = s.exec(select(RecoveryCode).where(RecoveryCode.user_id == officer.id)).all()
        assert len(stored) == 10 and all(r.code_hash.startswith("$argon2id$") for r in stored)
        assert not any(code in r.code_hash for r in stored for code in recovery)

    missing = login(client, "officer.totp")
    assert missing.status_code == 401 and missing.json()["type"].endswith("second-factor-required")
    wrong = login(client, "officer.totp", code="123456" if totp.now() != "123456" else "654321")
    assert wrong.status_code == 401 and wrong.json()["type"].endswith("second-factor-rejected")
    next_code = totp.at(time.time() + 30)  # the confirmation used this step's code; one step of drift is fine
    assert login(client, "officer.totp", code=next_code).status_code == 200
    replay = login(client, "officer.totp", code=next_code)
    assert replay.status_code == 401 and replay.json()["type"].endswith("second-factor-rejected")

    assert login(client, "officer.totp", code=recovery[0]).status_code == 200
    assert login(client, "officer.totp", code=recovery[0]).status_code == 401  # spent
    assert login(client, "officer.totp", code=recovery[1].upper()).status_code == 200


def test_the_web_login_asks_for_the_code(client, make_user, auth):
    from tests.web.conftest import csrf_of

    officer = make_user("case_officer", username="officer.web")
    totp, _ = enrol(client, auth(officer))
    page = client.get("/login")
    assert 'name="totp_code"' in page.text
    asked = client.post("/login", data={"username": "officer.web", "password": PASSWORD,
                                        "csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert asked.status_code == 401 and "动态验证码" in asked.text and "msvc_session" not in client.cookies
    done = client.post("/login", data={"username": "officer.web", "password": PASSWORD,
                                       "totp_code": totp.at(time.time() + 30), "csrf_token": csrf_of(page.text)},
                       follow_redirects=False)
    assert done.status_code == 303 and "msvc_session" in client.cookies


def test_parties_have_no_second_factor_to_enrol(client, make_user, auth):
    party = make_user("party")
    assert client.post("/api/v1/users/me/second-factor", headers=auth(party)).status_code == 409


def test_password_change_checks_the_current_password_and_the_policy_and_ends_old_tokens(client, make_user, auth):
    officer = make_user("case_officer", username="officer.pw")
    old = login(client, "officer.pw").json()["access_token"]
    headers = {"Authorization": f"Bearer {old}"}
    url = "/api/v1/users/me/password"
    wrong = client.post(url, headers=headers, json={"current_password": "not-it-at-all", "new_password": "x" * 20})
    assert wrong.status_code == 403 and wrong.json()["type"].endswith("reauthentication-failed")
    short = client.post(url, headers=headers, json={"current_password": PASSWORD, "new_password": "short-pw"})
    assert short.status_code == 422
    common = client.post(url, headers=headers, json={"current_password": PASSWORD, "new_password": "qwertyuiop123!"})
    assert common.status_code == 422 and "common" in common.json()["detail"]
    time.sleep(1.1)  # iat has one-second resolution: the old token must be from an earlier second
    ok = client.post(url, headers=headers, json={"current_password": PASSWORD,
                                                 "new_password": "绿色的马在河边吃草-2026"})
    assert ok.status_code == 204, ok.text
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401  # the old token is over
    assert login(client, "officer.pw").status_code == 401
    assert login(client, "officer.pw", password="绿色的马在河边吃草-2026").status_code == 200


def test_new_accounts_need_twelve_characters_not_a_common_password(client, make_user, auth):
    admin = make_user("admin")
    body = {"username": "new.officer", "display_name": "新专员", "role": "case_officer"}
    for password in ("Short-pass1", "password1234", "1qaz2wsx3edc", "new.officer!!"):
        r = client.post("/api/v1/users", headers=auth(admin), json={**body, "password": password})
        assert r.status_code == 422, (password, r.text)
    assert client.post("/api/v1/users", headers=auth(admin),
                       json={**body, "password": "tea-kettle-on-the-stove"}).status_code == 201


@pytest.mark.parametrize("password, accepted", [
    ("correct-horse-battery", True), ("Demo-2026-mediation", True), ("password", False),
    ("iloveyou123456", False), ("iloveyou", False), ("!!iloveyou2024!!", False), ("123456789012", False),
    ("123qweasdzxc", False), ("Q1W2E3R4T5Y6", False), ("a" * 201, False),
])
def test_password_policy_on_plain_values(password, accepted):
    assert (password_policy.problems(password) == []) is accepted, password_policy.problems(password)


def test_an_admin_resets_a_lost_authenticator_after_confirming_their_password(client, make_user, auth, engine):
    officer = make_user("case_officer", username="officer.lost")
    enrol(client, auth(officer))
    admin = make_user("admin", password="admin-password-2026")
    url = f"/api/v1/users/{officer.id}/second-factor/reset"
    assert client.post(url, headers=auth(officer), json={"password": PASSWORD}).status_code == 403
    assert client.post(url, headers=auth(admin), json={"password": "wrong-password"}).status_code == 403
    assert client.post(url, headers=auth(admin), json={"password": "admin-password-2026"}).status_code == 204
    assert login(client, "officer.lost").status_code == 200
    with Session(engine) as s:
        assert s.get(User, officer.id).totp_secret is None


@pytest.mark.postgresql_only
def test_one_code_used_by_two_logins_at_once_lets_one_in(client, make_user, auth, engine):
    """The first login has accepted the code and not yet committed; a second login with the same code waits for
    it, then finds the code used (before, it read the account before the first committed and got in too)."""
    from concurrent.futures import ThreadPoolExecutor

    from mediation_svc.accounts import second_factor
    from mediation_svc.db import unit_of_work
    from tests.reliability.test_lock_order import wait_for_a_lock_wait

    officer = make_user("case_officer", username="officer.race")
    totp, recovery = enrol(client, auth(officer))
    for code in (totp.at(time.time() + 30), recovery[0]):
        with ThreadPoolExecutor(max_workers=1) as pool:
            with unit_of_work(engine) as session:  # the first login, inside its transaction
                second_factor.check(session, user=session.get(User, officer.id), code=code)
                session.flush()
                second = pool.submit(login, client, "officer.race", PASSWORD, code)
                wait_for_a_lock_wait(engine)
            response = second.result(timeout=120)
        assert response.status_code == 401, (code, response.text)
        assert response.json()["type"].endswith("second-factor-rejected")


@pytest.mark.postgresql_only
def test_a_double_click_on_confirm_makes_one_set_of_recovery_codes(client, make_user, auth, engine):
    from concurrent.futures import ThreadPoolExecutor

    from mediation_svc.accounts import second_factor
    from mediation_svc.db import unit_of_work
    from tests.reliability.test_lock_order import wait_for_a_lock_wait

    officer = make_user("case_officer", username="officer.twice")
    begun = client.post("/api/v1/users/me/second-factor", headers=auth(officer))
    assert begun.status_code == 201, begun.text
    code = pyotp.TOTP(begun.json()["secret"]).now()
    with ThreadPoolExecutor(max_workers=1) as pool:
        with unit_of_work(engine) as session:  # the first click, not yet committed
            shown = second_factor.confirm(session, user=session.get(User, officer.id), code=code, actor="test")
            session.flush()
            second = pool.submit(client.post, "/api/v1/users/me/second-factor/confirm", headers=auth(officer),
                                 json={"code": code})
            wait_for_a_lock_wait(engine)
        response = second.result(timeout=120)
    assert response.status_code == 409, response.text
    with Session(engine) as s:
        assert len(s.exec(select(RecoveryCode).where(RecoveryCode.user_id == officer.id)).all()) == len(shown) == 10
