"""Judicial confirmation end to end through the API, on a real signed agreement: the joint application is
rendered and signed through the signing flow, the evidence package is built, a court account with a share
of the case downloads and verifies it, and records the ruling, which moves the case and is audited.

One module-scoped run (two signing rounds are CPU-heavy); the checks look at what it left behind."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import warnings
import zipfile
from datetime import date

import pytest
from fastapi.testclient import TestClient
from jose import jws
from sqlmodel import Session

from mediation_svc.accounts.schemas import UserCreate
from mediation_svc.accounts.service import create_user, issue_access_token
from mediation_svc.audit.chain import case_trail, verify_chain
from mediation_svc.cases.models import Case
from mediation_svc.cases.schemas import CaseIntake
from mediation_svc.cases.service import intake_case
from mediation_svc.config import Settings
from mediation_svc.db import make_engine, unit_of_work
from mediation_svc.documents.models import Document
from mediation_svc.judicial.package import check_package

from ..conftest import PG_URL, TEST_PASSPHRASE
from ..factories import intake_payload, resident_id
from ..signing.flow import REP_ID, REP_PHONE, Signer, deadline, finalise_agreement, institution_party, walk_to_drafting
from ..verifiers import import_endesive, repeated_certificates, timestamp_tokens

pytestmark = pytest.mark.db


def sign_everything(client, engine, auth, officer, mediator, request: dict, letter_pdf: bytes, seed: int) -> dict:
    """Walk one signing request to its B-LTA close: letter, consumer, representative (on site), mediator, seal."""
    rid = request["id"]
    rep = next(p for p in request["participants"] if p["kind"] == "representative")
    letter_url = f"/api/v1/signing-requests/{rid}/participants/{rep['id']}/authorisation"
    r = client.put(letter_url, headers={**auth(officer), "Content-Type": "application/pdf"}, content=letter_pdf)
    assert r.status_code == 200, r.text
    assert client.post(f"{letter_url}/approve", headers=auth(officer)).status_code == 200
    r = Signer(client, engine, "陈秀兰", id_last4=resident_id()[-4:]).identify().prepare(seed=seed).confirm()
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/signing-requests/{rid}/participants/{rep['id']}/onsite", headers=auth(mediator))
    assert r.status_code == 200, r.text
    r = Signer(client, engine, "王晓明", id_last4=REP_ID[-4:]).identify(r.json()["link"]).prepare(seed + 1).confirm()
    assert r.status_code == 200, r.text
    r = Signer(client, engine, "陈国栋", id_last4=None).identify_as_mediator(rid, auth(mediator)).prepare(
        seed=seed + 2).confirm()
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/signing-requests/{rid}/seal", headers=auth(officer))
    assert r.status_code == 200, r.text
    return r.json()


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        warnings.simplefilter("ignore")  # "Duplicate name": the point of one forgery
        for name, body in entries:
            archive.writestr(name, body)
    return out.getvalue()


def forgeries(package: bytes, report_jws: str) -> dict[str, bytes]:
    """Attacks on a package the service built, none needing a key."""
    source = zipfile.ZipFile(io.BytesIO(package))
    genuine = [(i.filename, source.read(i)) for i in source.infolist()]
    agreement = dict(genuine)["agreement-signed.pdf"]
    middle = len(agreement) // 2
    tampered = agreement[:middle] + bytes([agreement[middle] ^ 0x20]) + agreement[middle + 1:]
    return {
        # the tampered copy first: `unzip -n` extracts it, Python's zipfile reads the genuine one after it
        "duplicate_first": _zip([("agreement-signed.pdf", tampered), *genuine]),
        "unlisted_entry": _zip([*genuine, ("agreement-signed-corrected.pdf", tampered)]),
        "missing_entry": _zip([(n, b) for n, b in genuine if n != "evidence-report.pdf"]),
        # the JWS anyone gets from POST /api/v1/verify?format=jws, dressed up as an empty package
        "report_as_manifest": _zip([("manifest.json", jws.get_unverified_claims(report_jws)),
                                    ("manifest.jws", report_jws.encode())]),
    }


@pytest.fixture(scope="module")
def flow(database_template, keys_dir, tmp_path_factory):
    from mediation_svc.app import create_app

    if PG_URL:
        database_template.reset()
        url = database_template.url.render_as_string(hide_password=False)
    else:
        path = tmp_path_factory.mktemp("judicial") / "judicial.db"
        shutil.copyfile(database_template, path)
        url = f"sqlite:///{path}"
    settings = Settings(database_url=url, key_dir=keys_dir, key_passphrase=TEST_PASSPHRASE,
                        public_base_url="http://testserver", log_json=False, log_level="WARNING",
                        password_hash_profile="cheapest", _env_file=None)
    engine = make_engine(settings)
    app = create_app(settings, engine)
    with unit_of_work(engine) as s:
        def user(username, role, name, **extra):
            return create_user(s, data=UserCreate(username=username, password="correct-horse-42", display_name=name,
                                                  role=role, **extra), actor="test")
        officer = user("officer.j", "case_officer", "李文静")
        mediator = user("mediator.j", "mediator", "陈国栋", phone="13902000001")
        court = user("court.tianhe", "court", "天河区法院立案庭")
        other_court = user("court.other", "court", "越秀区法院")
        case = intake_case(s, settings, data=CaseIntake(**intake_payload()), actor=officer)

    def auth(u):
        return {"Authorization": f"Bearer {issue_access_token(app.state.tokens, settings, u)[0]}"}

    walk_to_drafting(engine, case.id, mediator)
    agreement = finalise_agreement(engine, settings, case.id, officer)
    bank = institution_party(engine, case.id)
    reps = [{"party_id": bank.id, "name": "王晓明", "phone": REP_PHONE, "id_number": REP_ID}]
    out = {"engine": engine, "case_id": case.id, "agreement_id": agreement.id}
    with TestClient(app, raise_server_exceptions=False) as client:
        out["too_early"] = client.post(f"/api/v1/cases/{case.id}/judicial/application", headers=auth(officer),
                                       json={"court_name": "广州市天河区人民法院", "deadline_at": deadline(),
                                             "representatives": reps}).json()
        r = client.post(f"/api/v1/cases/{case.id}/signing-requests", headers=auth(officer),
                        json={"document_id": agreement.id, "deadline_at": deadline(), "representatives": reps})
        assert r.status_code == 201, r.text
        sign_everything(client, engine, auth, officer, mediator, r.json(), agreement.pdf, seed=1)

        r = client.post(f"/api/v1/cases/{case.id}/judicial/application", headers=auth(officer),
                        json={"court_name": "广州市天河区人民法院", "deadline_at": deadline(), "representatives": reps})
        assert r.status_code == 201, r.text
        application = r.json()
        out["application"] = application
        out["package_too_early"] = client.post(f"/api/v1/cases/{case.id}/judicial/package", headers=auth(officer)).json()
        request = client.get(f"/api/v1/signing-requests/{application['signing_request_id']}", headers=auth(officer))
        sign_everything(client, engine, auth, officer, mediator, request.json(), agreement.pdf, seed=4)

        r = client.post(f"/api/v1/cases/{case.id}/judicial/package", headers=auth(officer))
        assert r.status_code == 201, r.text
        out["package"] = r.json()
        out["court_before_share"] = client.get(f"/api/v1/cases/{case.id}/judicial/package.zip",
                                               headers=auth(court)).status_code
        r = client.post(f"/api/v1/cases/{case.id}/judicial/court-shares", headers=auth(officer),
                        json={"court_user_id": court.id, "days": 30})
        assert r.status_code == 201, r.text
        r = client.get(f"/api/v1/cases/{case.id}/judicial/package.zip", headers=auth(court))
        assert r.status_code == 200, r.text
        out["zip"] = r.content
        out["other_court"] = client.get(f"/api/v1/cases/{case.id}/judicial/package.zip",
                                        headers=auth(other_court)).status_code
        out["jwks"] = client.get("/.well-known/jwks.json").json()
        out["package_check"] = client.post("/api/v1/judicial/packages/verify", headers=auth(court),
                                           files={"file": ("p.zip", out["zip"], "application/zip")}).json()
        signed = zipfile.ZipFile(io.BytesIO(out["zip"])).read("agreement-signed.pdf")
        report_jws = client.post("/api/v1/verify?format=jws", files={"file": ("a.pdf", signed, "application/pdf")})
        assert report_jws.status_code == 200, report_jws.text
        out["forgeries"] = forgeries(out["zip"], report_jws.text)
        out["attacks"] = {name: client.post("/api/v1/judicial/packages/verify", headers=auth(court),
                                            files={"file": ("p.zip", forged, "application/zip")}).json()
                          for name, forged in out["forgeries"].items()}
        out["verify_signed"] = client.post("/api/v1/verify", files={"file": ("a.pdf", signed, "application/pdf")}).json()
        ruling = {"confirmed": True, "ruling_number": "（2026）粤0106民特123号", "ruling_date": date.today().isoformat(),
                  "court_name": "广州市天河区人民法院"}
        out["officer_ruling"] = client.post(f"/api/v1/cases/{case.id}/judicial/ruling", headers=auth(officer),
                                            json=ruling).status_code
        r = client.post(f"/api/v1/cases/{case.id}/judicial/ruling", headers=auth(court), json=ruling)
        assert r.status_code == 201, r.text
        out["ruling"] = r.json()
        out["second_ruling"] = client.post(f"/api/v1/cases/{case.id}/judicial/ruling", headers=auth(court),
                                           json=ruling).status_code
        with Session(engine) as s:
            code = s.get(Document, agreement.id).verification_code
        out["code_lookup"] = client.get(f"/api/v1/verify/code/{code}").json()
        out["verify_after"] = client.post("/api/v1/verify",
                                          files={"file": ("a.pdf", signed, "application/pdf")}).json()
    yield out
    engine.dispose()


def test_application_needs_a_signed_agreement_and_a_signed_application(flow):
    assert flow["too_early"]["type"].endswith("not-ready-for-confirmation")
    assert flow["package_too_early"]["type"].endswith("not-ready-for-confirmation")
    assert flow["application"]["status"] == "signing" and flow["application"]["court_name"] == "广州市天河区人民法院"
    with Session(flow["engine"]) as s:
        application_doc = s.get(Document, flow["application"]["application_document_id"])
        assert application_doc.kind == "judicial_application" and application_doc.title == "司法确认申请书"


def test_court_downloads_a_package_whose_manifest_and_files_verify(flow):
    check = check_package(flow["zip"], flow["jwks"])
    assert check.ok, check.problems
    names = set(check.files)
    assert {"agreement-signed.pdf", "application-signed.pdf", "evidence-report.pdf", "audit-trail.json",
            "certificates/center-root.cer"} <= names
    assert any(n.startswith("revocation/") and n.endswith(".crl") for n in names)
    assert any(n.startswith("certificates/agreement-") for n in names)
    trail = json.loads(check.files["audit-trail.json"])
    assert any(e["action"] == "judicial.application_started" for e in trail["entries"])
    assert check.manifest["case_number"] and check.manifest["court_name"] == "广州市天河区人民法院"
    assert flow["package_check"]["ok"], flow["package_check"]
    assert flow["package_check"]["documents"]["application-signed.pdf"]["indication"] == "TOTAL_PASSED"
    assert flow["package"]["sha256"] == __import__("hashlib").sha256(flow["zip"]).hexdigest()


def test_a_changed_file_in_the_package_is_caught(flow):
    source = zipfile.ZipFile(io.BytesIO(flow["zip"]))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as forged:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "evidence-report.pdf":
                data = data[:200] + bytes([data[200] ^ 1]) + data[201:]
            forged.writestr(info.filename, data)
    check = check_package(out.getvalue(), flow["jwks"])
    assert not check.ok and any("evidence-report.pdf" in p for p in check.problems)


def test_forged_packages_built_from_a_real_one_do_not_verify(flow, tmp_path):
    attacks = flow["attacks"]
    assert all(not result["ok"] and result["documents"] == {} for result in attacks.values()), attacks
    assert attacks["duplicate_first"]["problems"] == [
        "package refused: agreement-signed.pdf: more than one entry of this name (tools disagree on which one "
        "they extract)"]
    assert attacks["unlisted_entry"]["problems"] == [
        "agreement-signed-corrected.pdf: in the package but not in the manifest"]
    assert attacks["missing_entry"]["problems"] == ["evidence-report.pdf: listed in the manifest but missing"]
    assert attacks["report_as_manifest"]["manifest"] is None
    assert "'verification-report+jws', where 'evidence-manifest+jws' is expected" in \
        attacks["report_as_manifest"]["problems"][0]
    # the attack is real: what a court's `unzip -n` puts on disk is the tampered copy
    forged = tmp_path / "forged.zip"
    forged.write_bytes(flow["forgeries"]["duplicate_first"])
    subprocess.run(["unzip", "-q", "-n", str(forged), "-d", str(tmp_path / "out")], check=True)
    extracted = (tmp_path / "out" / "agreement-signed.pdf").read_bytes()
    genuine = zipfile.ZipFile(io.BytesIO(flow["zip"])).read("agreement-signed.pdf")
    assert extracted != genuine and len(extracted) == len(genuine)


def test_the_agreement_signed_through_the_api_verifies_in_endesive(flow):
    """The signing flow's own file (signer credentials, the seal as pki.seal loads it, the B-LTA close):
    every SignedData with each certificate once, and an independent verifier accepts every signature."""
    agreement = zipfile.ZipFile(io.BytesIO(flow["zip"])).read("agreement-signed.pdf")
    root = zipfile.ZipFile(io.BytesIO(flow["zip"])).read("certificates/center-root.cer")
    assert all(repeated_certificates(token["content"]) == [] for _n, token, _d in timestamp_tokens(agreement))
    results = import_endesive().PDFVerifier(agreement, [root]).verify_all_signatures()
    people_and_seal = [r for r in results if r.signed_data is not None]
    assert len(people_and_seal) == 4 and len(results) > 4
    for result in people_and_seal:
        assert repeated_certificates(result.signed_data) == []
        assert (result.hashok, result.signatureok, result.certok, result.tspok) == (True, True, True, True), \
            result.tspmsg
    assert all(r.tspok for r in results if r.signed_data is None)  # the document timestamp(s)


def test_only_the_court_with_a_share_sees_the_package(flow):
    assert flow["court_before_share"] == 404
    assert flow["other_court"] == 404


def test_signed_agreement_from_the_package_verifies_and_is_in_the_registry(flow):
    report = flow["verify_signed"]
    assert report["indication"] == "TOTAL_PASSED", report["summary"]
    assert report["registry"]["matched"] and report["registry"]["match"] == "signed_revision"
    assert report["registry"]["latest_revision"] and report["registry"]["status"] == "signed"
    assert [e["kind"] for e in report["registry"]["signing_history"]] == ["signature", "signature", "signature",
                                                                          "seal", "lta"]


def test_ruling_confirms_the_case_and_is_audited(flow):
    assert flow["officer_ruling"] == 403
    assert flow["second_ruling"] == 409
    assert flow["ruling"]["confirmed"] and flow["ruling"]["ruling_number"] == "（2026）粤0106民特123号"
    with Session(flow["engine"]) as s:
        assert s.get(Case, flow["case_id"]).status == "confirmed"
        assert s.get(Document, flow["agreement_id"]).status == "confirmed"
        actions = [e.action for e in case_trail(s, flow["case_id"])]
        assert "judicial.ruling_recorded" in actions and "judicial.package_downloaded" in actions
        assert verify_chain(s).ok
    assert flow["code_lookup"]["status"] == "confirmed"
    assert flow["code_lookup"]["verification"]["indication"] == "TOTAL_PASSED"
    assert flow["verify_after"]["registry"]["status"] == "confirmed"
