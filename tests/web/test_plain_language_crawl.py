"""Crawl the demo as each of its people, in Chinese and in English, and read every page as they would.

Each demo role logs in through the login form and follows every in-app link it can reach (GET only, bounded,
downloads skipped); a page fails on a raw code (``in_mediation``, ``case.status_changed``, ``TOTAL_PASSED``,
``user:2:officer.li``), JSON, an English word in a Chinese page, or a server error.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from collections import deque
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient

from mediation_svc.app import create_app
from mediation_svc.db import make_engine
from mediation_svc.demo import DEMO_PASSWORD

from ..conftest import demo_copy
from .conftest import csrf_of
from .plain_language import findings

ROLES = ("officer.li", "mediator.chen", "party.chen", "party.bank", "court.tianhe", "admin")
START = ("/dashboard", "/verify", "/rosters", "/statistics")
MAX_PAGES = 150
MAX_VARIANTS = 3  # query-string variants followed per path (the calendar's weeks go on for ever)
SKIP_SUFFIXES = (".pdf", ".zip", ".csv", ".svg", ".ics", ".png", ".json", ".js", ".css")
SKIP_PATHS = ("/logout", "/text-size", "/static/", "/docs", "/openapi", "/api/", "/sign/", "/pki/")
HREF = re.compile(r'href="([^"#]*)')


@pytest.fixture(scope="module")
def demo_client(demo_database, keys_dir, tmp_path_factory):
    settings = demo_copy(demo_database, keys_dir, tmp_path_factory.mktemp("crawl"))
    engine = make_engine(settings)
    with TestClient(create_app(settings, engine)) as client:
        yield client
    engine.dispose()


def _login(client: TestClient, username: str, language: str) -> None:
    client.cookies.clear()
    page = client.get(f"/login?lang={language}")
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                           "csrf_token": csrf_of(page.text), "next": "/dashboard"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text


def _follow(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path.endswith(SKIP_SUFFIXES) or parts.path.startswith(SKIP_PATHS):
        return None
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("lang", "ok") and not k.startswith("okv_")]
    return parts.path + (f"?{urlencode(query)}" if query else "")


def crawl(client: TestClient, language: str) -> dict[str, list[str]]:
    """Every reachable page's findings (only pages with some)."""
    queue, seen, variants, problems = deque(START), set(START), {}, {}
    while queue and len(seen) <= MAX_PAGES:
        url = queue.popleft()
        response = client.get(url)
        assert response.status_code < 500, f"{url}: {response.status_code}"
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        found = findings(response.text, language)
        if found:
            problems[url] = found
        for href in HREF.findall(response.text):
            target = _follow(href.replace("&amp;", "&"))
            if target is None or target in seen:
                continue
            path = target.split("?")[0]
            variants[path] = variants.get(path, 0) + 1
            if "?" in target and variants[path] > MAX_VARIANTS:
                continue
            seen.add(target)
            queue.append(target)
    assert len(seen) > 1
    return problems


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_every_demo_page_speaks_plainly_to_every_role(demo_client, language):
    report = {}
    pages = 0
    for username in ROLES:
        _login(demo_client, username, language)
        found = crawl(demo_client, language)
        pages += 1
        report.update({f"{username} {url}": items for url, items in found.items()})
    lines = [f"{where}: {', '.join(items[:12])}" for where, items in sorted(report.items())]
    assert not lines, f"{len(lines)} pages show codes:\n" + "\n".join(lines)


def test_the_court_ruling_form_is_dated_beijing_today(demo_client, monkeypatch):
    """At 01:00 on 2 December in Beijing it is still 1 December in UTC: the ruling date says the 2nd."""
    import mediation_svc.db as db

    _login(demo_client, "court.tianhe", "zh-CN")
    dashboard = demo_client.get("/dashboard").text
    case_url = re.search(r'href="(/cases/\d+)"', dashboard).group(1)
    monkeypatch.setattr(db, "utcnow", lambda: datetime(2026, 12, 1, 17, 0, tzinfo=timezone.utc))
    page = demo_client.get(case_url).text
    assert 'id="ruling_date"' in page
    assert re.search(r'id="ruling_date"[^>]*value="2026-12-02"', page)


def test_the_evidence_package_opens_with_a_chinese_index_and_holds_the_timeline(demo_client, tmp_path):
    """The court's download: 00-目录.pdf first, naming every file in Chinese with its SHA-256; the audit
    trail as a readable timeline beside the JSON; the manifest still covers every file."""
    import hashlib
    import io
    import subprocess
    import zipfile

    _login(demo_client, "court.tianhe", "zh-CN")
    case_url = re.search(r'href="(/cases/\d+)"', demo_client.get("/dashboard").text).group(1)
    package = demo_client.get(f"{case_url}/evidence-package.zip")
    assert package.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(package.content))
    names = archive.namelist()
    assert names[0] == "00-目录.pdf" and "audit-trail.pdf" in names and "audit-trail.json" in names
    (tmp_path / "index.pdf").write_bytes(archive.read("00-目录.pdf"))
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "index.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    text = re.sub(r"\s+", "", text)  # the title is letter-spaced, long hashes wrap
    assert "司法确认证据材料目录" in text and "调解协议书（各方已签署" in text and "案件操作记录（时间线）" in text
    assert hashlib.sha256(archive.read("agreement-signed.pdf")).hexdigest()[:16] in text
    (tmp_path / "trail.pdf").write_bytes(archive.read("audit-trail.pdf"))
    trail = subprocess.run(["pdftotext", str(tmp_path / "trail.pdf"), "-"], capture_output=True, text=True,
                           check=True).stdout
    trail = re.sub(r"\s+", "", trail)
    assert "案件操作记录" in trail and "哈希链完整" in trail and "加盖调解中心印章" in trail
    listed = {f["name"] for f in __import__("json").loads(archive.read("manifest.json"))["files"]}
    assert {"00-目录.pdf", "audit-trail.pdf"} <= listed
