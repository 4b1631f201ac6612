import pytest
from typer.testing import CliRunner

from mediation_svc import cli
from mediation_svc.config import get_settings

runner = CliRunner()


@pytest.mark.parametrize("command", [[], ["serve"], ["db", "upgrade"], ["seed-demo"], ["keys", "init"],
                                     ["audit", "verify"], ["create-user"]])
def test_every_command_has_help(command):
    result = runner.invoke(cli.app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


@pytest.fixture
def fresh_env(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDIATION_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("MEDIATION_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("MEDIATION_KEY_PASSPHRASE", "cli-test-passphrase")
    monkeypatch.setenv("MEDIATION_PASSWORD_HASH_PROFILE", "cheapest")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_fresh_install_flow_keys_migrate_seed_and_login(fresh_env):
    """What `make run` does before serving: keys, migrations, demo data (once), and a working login."""
    assert runner.invoke(cli.app, ["keys", "init"]).exit_code == 0
    key_file = next((fresh_env / "keys").glob("token-signing.key.pem"))
    assert b"ENCRYPTED PRIVATE KEY" in key_file.read_bytes()
    assert runner.invoke(cli.app, ["db", "upgrade"]).exit_code == 0
    seeded = runner.invoke(cli.app, ["seed-demo"])
    assert seeded.exit_code == 0 and "demo data seeded" in seeded.output and "admin" in seeded.output
    assert "already present" in runner.invoke(cli.app, ["seed-demo"]).output
    created = runner.invoke(cli.app, ["create-user", "court.yuexiu", "--role", "court", "--display-name",
                                      "越秀区人民法院", "--password", "long-enough-secret"])
    assert created.exit_code == 0, created.output
    assert runner.invoke(cli.app, ["audit", "verify"]).exit_code == 0

    from fastapi.testclient import TestClient

    from mediation_svc.app import create_app
    from mediation_svc.demo import DEMO_PASSWORD

    with TestClient(create_app(get_settings())) as client:
        token = client.post("/api/v1/auth/token", data={"username": "officer.li", "password": DEMO_PASSWORD})
        assert token.status_code == 200
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        cases = client.get("/api/v1/cases", headers=headers).json()
        # the eight demo cases, and the cases that demo complaints were steered into (carrying their history)
        from_complaints = [c for c in cases if "【投诉处理经过】" in c["facts"]]
        assert len(cases) - len(from_complaints) == 8 and from_complaints
        cases = [c for c in cases if c not in from_complaints]
        assert len({c["status"] for c in cases}) >= 7

        # the demo court clerk sees exactly the case sent for judicial confirmation, and its package checks out
        court = client.post("/api/v1/auth/token", data={"username": "court.tianhe", "password": DEMO_PASSWORD})
        court_headers = {"Authorization": f"Bearer {court.json()['access_token']}"}
        (shared,) = client.get("/api/v1/cases", headers=court_headers).json()
        assert shared["status"] == "confirmation_requested"
        package = client.get(f"/api/v1/cases/{shared['id']}/judicial/package.zip", headers=court_headers)
        assert package.status_code == 200
        checked = client.post("/api/v1/judicial/packages/verify", headers=court_headers,
                              files={"file": ("package.zip", package.content, "application/zip")})
        assert checked.status_code == 200, checked.text
        assert checked.json()["ok"] is True


def test_create_user_rejects_bad_role(fresh_env):
    runner.invoke(cli.app, ["db", "upgrade"])
    result = runner.invoke(cli.app, ["create-user", "x.user", "--role", "king", "--display-name", "X",
                                     "--password", "long-enough-secret"])
    assert result.exit_code == 2
