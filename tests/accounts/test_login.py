import pytest

TOKEN = "/api/v1/auth/token"


def test_password_login_gives_a_working_token(client, make_user):
    make_user("mediator", username="mediator.lin", password="long-enough-secret")
    response = client.post(TOKEN, data={"username": "mediator.lin", "password": "long-enough-secret"})
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["role"] == "mediator"


def test_password_is_stored_as_argon2(make_user, engine):
    from sqlmodel import Session

    from mediation_svc.accounts.models import User

    user = make_user("admin", password="long-enough-secret")
    with Session(engine) as session:
        stored = session.get(User, user.id).password_hash
    assert stored.startswith("$argon2id$") and "long-enough-secret" not in stored


@pytest.mark.parametrize("username,password", [("mediator.lin", "wrong-password"), ("nobody", "whatever-pass")])
def test_bad_credentials_are_401(client, make_user, username, password):
    make_user("mediator", username="mediator.lin", password="long-enough-secret")
    response = client.post(TOKEN, data={"username": username, "password": password})
    assert response.status_code == 401
    assert response.json()["type"] == "urn:mediation-svc:problem:unauthenticated"


def test_login_is_rate_limited_per_account(client, make_user):
    make_user("mediator", username="mediator.lin", password="long-enough-secret")
    for _ in range(5):
        assert client.post(TOKEN, data={"username": "mediator.lin", "password": "wrong"}).status_code == 401
    blocked = client.post(TOKEN, data={"username": "mediator.lin", "password": "long-enough-secret"})
    assert blocked.status_code == 429
    assert blocked.json()["type"] == "urn:mediation-svc:problem:rate-limited"
    assert int(blocked.headers["Retry-After"]) > 0


def test_login_is_rate_limited_per_address(client, make_user, settings):
    make_user("mediator", username="mediator.lin", password="long-enough-secret")
    for index in range(settings.login_max_attempts_per_address):
        client.post(TOKEN, data={"username": f"guess{index}", "password": "wrong"})
    blocked = client.post(TOKEN, data={"username": "mediator.lin", "password": "long-enough-secret"})
    assert blocked.status_code == 429


def test_staff_accounts_are_created_by_admins_only(client, make_user, auth):
    officer = make_user("case_officer")
    body = {"username": "new.mediator", "display_name": "新调解员", "role": "mediator", "password": "long-enough-secret"}
    assert client.post("/api/v1/users", json=body, headers=auth(officer)).status_code == 403
    admin = make_user("admin")
    assert client.post("/api/v1/users", json=body, headers=auth(admin)).status_code == 201
