"""Evidence through the API on a real database: the consumer's uploads checked and cleaned, scoped to their own
cases; the staff's view by visibility, the court's by sharing; the audit and the court's package list it."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from PIL import Image
from sqlmodel import Session, col, select

from mediation_svc.audit.models import AuditEntry
from mediation_svc.cases.models import Case
from mediation_svc.db import unit_of_work
from mediation_svc.evidence.models import EvidenceItem
from tests.evidence import files
from tests.selfservice.test_api import MINE, OTHER, _applicant, _prove

pytestmark = pytest.mark.db


@pytest.fixture
def world(make_case, make_user):
    officer = make_user("case_officer")
    mine = make_case(officer=officer, applicant=_applicant(MINE))
    other = make_case(officer=officer, applicant=_applicant(OTHER, "王建国"))
    return officer, mine, other


def _stored(engine) -> list[EvidenceItem]:
    with Session(engine) as s:
        return list(s.exec(select(EvidenceItem).order_by(col(EvidenceItem.id))).all())


def _upload(client, headers, number: str, data: bytes, name: str, **params):
    return client.post(f"/api/v1/self/cases/{number}/evidence", headers=headers,
                       files={"file": (name, data, "application/octet-stream")}, params=params)


def _is_problem(answer, status: int, slug: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["type"] == f"urn:mediation-svc:problem:{slug}"


def test_a_renamed_executable_is_refused_and_nothing_stored(client, engine, world):
    _officer, mine, _other = world
    headers = _prove(client, engine, MINE)
    _is_problem(_upload(client, headers, mine.number, files.renamed_executable(), "photo.jpg"), 415,
                "unsupported-media-type")
    raw = client.post(f"/api/v1/self/cases/{mine.number}/evidence?filename=photo.jpg", headers=headers,
                      content=files.renamed_executable(), )
    _is_problem(raw, 415, "unsupported-media-type")
    assert _stored(engine) == []


def test_an_image_bomb_and_an_oversized_file_are_refused(client, engine, world, settings):
    _officer, mine, _other = world
    headers = _prove(client, engine, MINE)
    bomb = _upload(client, headers, mine.number, files.png_bomb(), "bomb.png")
    _is_problem(bomb, 413, "image-too-many-pixels")
    big = b"%PDF-1.7\n" + b"0" * settings.evidence_max_bytes
    _is_problem(_upload(client, headers, mine.number, big, "big.pdf"), 413, "payload-too-large")
    raw = client.post(f"/api/v1/self/cases/{mine.number}/evidence", headers=headers, content=big)
    _is_problem(raw, 413, "payload-too-large")
    assert _stored(engine) == []


def test_a_pdf_with_javascript_is_refused_with_the_reason(client, engine, world):
    _officer, mine, _other = world
    headers = _prove(client, engine, MINE)
    answer = _upload(client, headers, mine.number, files.pdf_with_javascript(), "statement.pdf")
    _is_problem(answer, 422, "pdf-active-content")
    assert answer.json()["reason"] == "javascript" and "JavaScript" in answer.json()["detail"]
    assert _stored(engine) == []


def test_a_photo_is_stored_without_exif_and_its_sha256_is_what_is_downloaded_and_audited(client, engine, world,
                                                                                       auth):
    officer, mine, _other = world
    headers = _prove(client, engine, MINE)
    original = files.jpeg_with_gps()
    answer = _upload(client, headers, mine.number, original, "../现场照片.jpg", description="柜台告示")
    assert answer.status_code == 201, answer.text
    shown = answer.json()
    assert shown["filename"] == "现场照片.jpg" and shown["media_type"] == "image/jpeg"
    assert shown["sha256"] != hashlib.sha256(original).hexdigest()  # what is stored is the clean re-encode
    got = client.get(f"/api/v1/self/cases/{mine.number}/evidence/{shown['id']}/file", headers=headers)
    assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == shown["sha256"]
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"
    image = Image.open(io.BytesIO(got.content))
    assert dict(image.getexif()) == {} and b"TestCam" not in got.content and "exif" not in image.info
    listed = client.get(f"/api/v1/self/cases/{mine.number}/evidence", headers=headers).json()
    assert [(i["filename"], i["sha256"], i["size"]) for i in listed] == [("现场照片.jpg", shown["sha256"],
                                                                          len(got.content))]
    with Session(engine) as s:
        entries = s.exec(select(AuditEntry).where(AuditEntry.action == "evidence.added")).all()
    assert len(entries) == 1 and entries[0].case_id == mine.id
    payload = json.loads(entries[0].payload)
    assert payload["sha256"] == shown["sha256"] and payload["uploaded_sha256"] == hashlib.sha256(original).hexdigest()
    assert entries[0].actor == "consumer:138****8000"
    # the officer sees it, with who gave it
    staff = client.get(f"/api/v1/cases/{mine.id}/evidence", headers=auth(officer)).json()
    assert [(i["sha256"], i["side"], i["uploaded_by"]) for i in staff] == [(shown["sha256"], "consumer",
                                                                           "consumer:138****8000")]


def test_another_consumers_case_number_gets_404_and_nothing_is_stored(client, engine, world):
    _officer, _mine, other = world
    headers = _prove(client, engine, MINE)
    answer = _upload(client, headers, other.number, files.pdf(), "mine.pdf")
    _is_problem(answer, 404, "not-found")
    assert client.get(f"/api/v1/self/cases/{other.number}/evidence", headers=headers).status_code == 404
    assert client.post(f"/api/v1/self/cases/{other.number}/evidence", content=files.pdf()).status_code == 401
    assert _stored(engine) == []


def _set_mediator(engine, case_id: int, mediator) -> None:
    with unit_of_work(engine) as s:
        case = s.get(Case, case_id)
        assert case is not None
        case.mediator_user_id = mediator.id
        s.add(case)


def test_staff_of_another_case_get_404_and_the_court_only_what_is_shared(client, engine, world, auth, make_user):
    officer, mine, other = world
    mediator, other_mediator, court = make_user("mediator"), make_user("mediator"), make_user("court")
    _set_mediator(engine, mine.id, mediator)
    _set_mediator(engine, other.id, other_mediator)
    headers = _prove(client, engine, MINE)
    first = _upload(client, headers, mine.number, files.pdf(), "收据.pdf").json()
    second = client.post(f"/api/v1/cases/{mine.id}/evidence?filename=笔录.pdf", headers=auth(mediator),
                         content=files.pdf())
    assert second.status_code == 201 and second.json()["side"] == "staff"
    url = f"/api/v1/cases/{mine.id}/evidence"
    assert len(client.get(url, headers=auth(mediator)).json()) == 2
    _is_problem(client.get(url, headers=auth(other_mediator)), 404, "not-found")
    _is_problem(client.get(f"{url}/{first['id']}/file", headers=auth(other_mediator)), 404, "not-found")
    _is_problem(client.post(url, headers=auth(other_mediator), content=files.pdf()), 404, "not-found")
    assert len(_stored(engine)) == 2
    # the consumer sees their side's items, not the staff's
    assert [i["id"] for i in client.get(f"/api/v1/self/cases/{mine.number}/evidence", headers=headers).json()] == [
        first["id"]]
    # the court: the case shared with it, then only the items shared
    assert client.post(f"/api/v1/cases/{mine.id}/shares", headers=auth(officer),
                       json={"court_user_id": court.id}).status_code == 201
    assert client.get(url, headers=auth(court)).json() == []
    _is_problem(client.get(f"{url}/{first['id']}/file", headers=auth(court)), 404, "not-found")
    _is_problem(client.patch(f"{url}/{first['id']}", headers=auth(mediator), json={"shared_with_court": True}),
                403, "forbidden")
    shared = client.patch(f"{url}/{first['id']}", headers=auth(officer), json={"shared_with_court": True})
    assert shared.status_code == 200 and shared.json()["shared_with_court"] is True
    assert [i["id"] for i in client.get(url, headers=auth(court)).json()] == [first["id"]]
    got = client.get(f"{url}/{first['id']}/file", headers=auth(court))
    assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == first["sha256"]
    with Session(engine) as s:
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "evidence.shared",
                                               AuditEntry.case_id == mine.id)).first() is not None


def test_the_judicial_package_lists_the_shared_evidence(client, engine, world, auth):
    from mediation_svc.judicial.case_evidence import LIST_NAME, evidence_files

    officer, mine, _other = world
    headers = _prove(client, engine, MINE)
    shared = _upload(client, headers, mine.number, files.jpeg_with_gps(), "photo.jpg").json()
    kept = _upload(client, headers, mine.number, files.pdf(), "private.pdf").json()
    assert client.patch(f"/api/v1/cases/{mine.id}/evidence/{shared['id']}", headers=auth(officer),
                        json={"shared_with_court": True}).status_code == 200
    with Session(engine) as s:
        package_files, listing = evidence_files(s, case_id=mine.id)
    assert [(e["filename"], e["sha256"], e["size"], e["uploaded_by"]) for e in listing] == [
        ("photo.jpg", shared["sha256"], shared["size"], "consumer:138****8000")]
    assert listing[0]["created_at"] and kept["sha256"] not in json.dumps(listing)
    entry = listing[0]["file"]
    assert hashlib.sha256(package_files[entry]).hexdigest() == shared["sha256"]
    assert json.loads(package_files[LIST_NAME])["items"] == listing
