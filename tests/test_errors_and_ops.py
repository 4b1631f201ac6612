"""Every error is RFC 9457 problem+json; operations endpoints answer."""

import pytest


def _is_problem(response, status, slug):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == f"urn:mediation-svc:problem:{slug}"
    assert body["status"] == status and body["title"]
    return body


def test_unknown_route_is_404_problem(client):
    _is_problem(client.get("/api/v1/nothing-here"), 404, "not-found")


def test_wrong_method_is_405_problem(client):
    _is_problem(client.delete("/healthz"), 405, "method-not-allowed")


def test_malformed_json_is_422_problem(client, make_user, auth):
    response = client.post("/api/v1/cases", content=b"{not json", headers={**auth(make_user("case_officer")),
                                                                         "Content-Type": "application/json"})
    _is_problem(response, 422, "validation-error")


def test_oversized_body_is_413_problem(client, settings, make_user, auth):
    too_big = b"x" * (settings.max_upload_bytes + 1)
    response = client.post("/api/v1/cases", content=too_big, headers={**auth(make_user("case_officer")),
                                                                      "Content-Type": "application/json"})
    _is_problem(response, 413, "payload-too-large")


def test_unexpected_errors_are_500_problem_without_a_trace(app, client):
    def explode():
        raise RuntimeError("secret internal detail")

    app.add_api_route("/boom", explode)
    response = client.get("/boom")
    body = _is_problem(response, 500, "internal-error")
    assert "secret internal detail" not in response.text and "Traceback" not in response.text
    assert body["detail"]


def test_health_readiness_metrics_and_request_ids(client, make_user, auth):
    response = client.get("/healthz", headers={"X-Request-ID": "abc123"})
    assert response.json() == {"status": "ok"} and response.headers["X-Request-ID"] == "abc123"
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "keys": "ok", "fonts": "ok"}
    metrics = client.get("/metrics", headers=auth(make_user("admin"))).text  # admins or the scraper token
    assert 'http_requests_total{method="GET",route="/healthz",status="200"}' in metrics


def test_app_refuses_an_unmigrated_database(tmp_path, keys_dir):
    from mediation_svc.app import create_app
    from mediation_svc.config import Settings
    from mediation_svc.migrations_check import DatabaseNotMigrated

    settings = Settings(database_url=f"sqlite:///{tmp_path}/empty.db", key_dir=keys_dir, _env_file=None)
    with pytest.raises(DatabaseNotMigrated, match="mediation-svc db upgrade"):
        create_app(settings)


def test_one_problem_type_means_one_status_and_one_title_everywhere():
    """A problem ``type`` is what a client keys on: the same slug never comes back with another status or
    title from another domain (an empty upload was 400 on the verifier and 422 on evidence)."""
    import importlib
    import pkgutil

    import mediation_svc
    from mediation_svc.errors import DomainError

    for module in pkgutil.walk_packages(mediation_svc.__path__, "mediation_svc."):
        if ".migrations" not in module.name and module.name != "mediation_svc.asgi":  # asgi builds the app
            importlib.import_module(module.name)

    def every(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from every(sub)

    seen: dict[str, set[tuple[int, str]]] = {}
    for cls in every(DomainError):
        seen.setdefault(cls.slug, set()).add((cls.status, cls.title))
    assert len(seen) > 40
    assert {slug: found for slug, found in seen.items() if len(found) > 1} == {}
