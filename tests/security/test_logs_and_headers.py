"""Request logs hold no signing-link tokens or verification codes; /metrics needs a login; /docs is local;
HSTS is sent behind https."""

from __future__ import annotations

import logging

import pytest


def test_request_logs_do_not_carry_link_tokens_or_codes(client, caplog):
    secret = "eyJhbGciOiJFUzI1NiJ9.c2VjcmV0LXNpZ25pbmctbGluaw.c2ln"
    with caplog.at_level(logging.INFO, logger="mediation_svc.http"):
        client.get(f"/sign/{secret}")  # an old-style link: no route matches, and it is still not logged
        client.get("/s/Ab3dEf7hJk9m")
        client.get("/nowhere/a-secret-in-an-unknown-path")
        client.get("/api/v1/verify/code/ABCD-EFGH-JKMN-PQRS")
        client.get("/api/v1/calendar-feeds/feed-secret-123456.ics")
    logged = " ".join(str(getattr(r, "path", "")) + r.getMessage() for r in caplog.records)
    assert "/sign/{rest}" in logged and "/nowhere/{unmatched}" in logged and "/s/{code}" in logged and "/api/v1/verify/code/{code}" in logged
    for leaked in (secret, "Ab3dEf7hJk9m", "a-secret-in-an-unknown-path", "ABCD-EFGH-JKMN-PQRS", "feed-secret-123456"):
        assert leaked not in logged


def test_metrics_need_the_scraper_token_or_an_admin(client, make_user, auth, settings):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics").headers["content-type"].startswith("application/problem+json")
    assert client.get("/metrics", headers=auth(make_user("case_officer"))).status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer guessed"}).status_code == 401
    ok = client.get("/metrics", headers=auth(make_user("admin")))
    assert ok.status_code == 200 and "http_requests_total" in ok.text
    settings.metrics_token = "scraper-secret-0123456789"
    assert client.get("/metrics", headers={"Authorization": "Bearer scraper-secret-0123456789"}).status_code == 200


def test_the_api_docs_load_nothing_from_outside(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    for asset in ("/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css"):
        assert asset in page.text
        assert client.get(asset).status_code == 200
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")


@pytest.mark.parametrize("base, expected", [("https://mediation.example.cn", True), ("http://testserver", False)])
def test_hsts_only_behind_https(settings, engine, base, expected):
    from fastapi.testclient import TestClient

    from mediation_svc.app import create_app

    settings.public_base_url = base
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as client:
        for path in ("/healthz", "/login", "/api/v1/cases"):
            header = client.get(path).headers.get("strict-transport-security")
            assert (header is not None and "max-age=31536000" in header) is expected, path
