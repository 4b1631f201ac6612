"""Token attacks: each must end in 401 problem+json, never in access."""

import base64
import json
import time
from datetime import timedelta

import pytest
from jose import jwt

ME = "/api/v1/users/me"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.fixture
def officer(make_user):
    return make_user("case_officer")


@pytest.fixture
def valid_claims(app, officer):
    _, claims = app.state.tokens.issue(subject=str(officer.id), purpose="access", lifetime=timedelta(minutes=5),
                                       claims={"role": "case_officer"})
    return claims


def _assert_401(response):
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == "urn:mediation-svc:problem:unauthenticated"


def test_valid_token_is_accepted(client, auth, officer):
    response = client.get(ME, headers=auth(officer))
    assert response.status_code == 200
    assert response.json()["username"] == officer.username


def test_missing_token(client):
    _assert_401(client.get(ME))


def test_alg_none_is_rejected(client, valid_claims):
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(valid_claims)}."
    _assert_401(client.get(ME, headers={"Authorization": f"Bearer {token}"}))


def test_hmac_with_public_key_confusion_is_rejected(client, app, valid_claims):
    public_pem = app.state.tokens.public_pem().decode()
    # python-jose refuses to HMAC with a PEM key, which is itself the defence; forge by hand as an attacker would.
    import hashlib
    import hmac

    header = _b64({"alg": "HS256", "typ": "JWT"})
    body = _b64(valid_claims)
    signature = hmac.new(public_pem.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    token = f"{header}.{body}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
    _assert_401(client.get(ME, headers={"Authorization": f"Bearer {token}"}))


def test_wrong_audience_is_rejected(client, app, officer):
    token, _ = app.state.tokens.issue(subject=str(officer.id), purpose="signing", lifetime=timedelta(minutes=5),
                                      claims={"role": "case_officer"})
    _assert_401(client.get(ME, headers={"Authorization": f"Bearer {token}"}))


def test_expired_token_is_rejected(client, app, officer):
    from datetime import datetime, timezone

    token, _ = app.state.tokens.issue(subject=str(officer.id), purpose="access", lifetime=timedelta(seconds=1),
                                      claims={"role": "case_officer"},
                                      now=datetime.now(timezone.utc) - timedelta(minutes=10))
    _assert_401(client.get(ME, headers={"Authorization": f"Bearer {token}"}))


def test_tampered_payload_is_rejected(client, auth, make_user):
    officer = make_user("case_officer")
    admin = make_user("admin")
    token = auth(officer)["Authorization"].split()[1]
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"], claims["role"] = str(admin.id), "admin"
    forged = f"{header}.{_b64(claims)}.{signature}"
    _assert_401(client.get(ME, headers={"Authorization": f"Bearer {forged}"}))


def test_token_signed_by_another_key_is_rejected(client, valid_claims):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    other = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    token = jwt.encode(valid_claims, other, algorithm="ES256")
    _assert_401(client.get(ME, headers={"Authorization": f"Bearer {token}"}))


def test_logout_revokes_the_token(client, auth, officer):
    headers = auth(officer)
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    _assert_401(client.get(ME, headers=headers))


def test_token_of_deactivated_user_is_rejected(client, auth, officer, engine):
    from sqlmodel import Session

    from mediation_svc.accounts.models import User

    headers = auth(officer)
    with Session(engine) as session:
        user = session.get(User, officer.id)
        user.active = False
        session.add(user)
        session.commit()
    _assert_401(client.get(ME, headers=headers))


def test_token_has_required_claims(app, officer):
    from mediation_svc.accounts.service import issue_access_token

    token, expires_in = issue_access_token(app.state.tokens, app.state.settings, officer)
    claims = jwt.get_unverified_claims(token)
    assert {"exp", "iat", "aud", "sub", "jti", "iss"} <= set(claims)
    assert claims["aud"] == "mediation-svc:access"
    assert 0 < claims["exp"] - time.time() <= expires_in + 1
    assert jwt.get_unverified_header(token)["alg"] == "ES256"
