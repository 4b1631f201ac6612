def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_case_intake(client, make_user, auth):
    from tests.factories import intake_payload
    officer = make_user("case_officer")
    r = client.post("/api/v1/cases", json=intake_payload(), headers=auth(officer))
    assert r.status_code == 201, r.text
    assert r.json()["number"].startswith("粤正和调〔")
