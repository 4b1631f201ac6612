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
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from jose import jws
from sqlmodel import Session, select

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
from ..signing.conftest import nss_db, pdfsig  # noqa: F401 - the fixture, for pdfsig with the root trusted
from ..signing.flow import REP_ID, REP_PHONE, Signer, deadline, finalise_agreement, institution_party, walk_to_drafting
from ..verifiers import import_endesive, repeated_certificates, timestamp_tokens

pytestmark = pytest.mark.db


def institution_seal_jpeg() -> bytes:
    """A bank's round red seal, photographed on white paper (what an institution sends with its letter)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (420, 420), (250, 250, 246))
    draw = ImageDraw.Draw(image)
    draw.ellipse((20, 20, 400, 400), outline=(200, 20, 30), width=18)
    draw.regular_polygon((210, 210, 70), 5, fill=(200, 20, 30))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def sign_everything(client, engine, auth, officer, mediator, request: dict, letter_pdf: bytes, seed: int,
                    seal_image: bytes | None = None, results: dict | None = None) -> dict:
    """Walk one signing request to its B-LTA close: letter (and the bank's seal image), consumer, representative
    (on site), mediator, seal."""
    rid = request["id"]
    rep = next(p for p in request["participants"] if p["kind"] == "representative")
    letter_url = f"/api/v1/signing-requests/{rid}/participants/{rep['id']}/authorisation"
    r = client.put(letter_url, headers={**auth(officer), "Content-Type": "application/pdf"}, content=letter_pdf)
    assert r.status_code == 200, r.text
    if seal_image is not None:
        seal_url = f"/api/v1/signing-requests/{rid}/participants/{rep['id']}/institution-seal"
        results["seal_not_image"] = client.put(seal_url, headers={**auth(officer), "Content-Type": "image/png"},
                                               content=b"%PDF-1.7 not an image").json()
        results["seal_too_big"] = client.put(seal_url, headers={**auth(officer), "Content-Type": "image/png"},
                                             content=b"\x89PNG\r\n\x1a\n" + bytes(3 * 1024 * 1024)).status_code
        r = client.put(seal_url, headers={**auth(officer), "Content-Type": "image/jpeg"}, content=seal_image)
        assert r.status_code == 200 and r.json()["institution_seal_sha256"], r.text
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


def party_reads_evidence(client, engine, auth, case_id: int, request_id: int) -> dict:
    """What the applicant's own account gets of the evidence (the case itself: yes)."""
    from mediation_svc.cases.models import CaseParty
    from mediation_svc.cases.service import get_case_or_404, link_party_user

    with unit_of_work(engine) as s:
        party = create_user(s, data=UserCreate(username="party.applicant", password="correct-horse-42",
                                               display_name="陈秀兰", role="party"), actor="test")
        applicant = s.exec(select(CaseParty).where(CaseParty.case_id == case_id,
                                                   CaseParty.role == "applicant")).one()
        link_party_user(s, case=get_case_or_404(s, case_id), party_id=applicant.id, user=party, actor="test")
    headers = auth(party)
    token = headers["Authorization"].split()[1]
    page = TestClient(client.app, raise_server_exceptions=False, cookies={"msvc_session": token})
    return {"case": client.get(f"/api/v1/cases/{case_id}", headers=headers).status_code,
            "zip": client.get(f"/api/v1/cases/{case_id}/judicial/package.zip", headers=headers),
            "page_zip": page.get(f"/cases/{case_id}/evidence-package.zip", follow_redirects=False).status_code,
            "events": client.get(f"/api/v1/signing-requests/{request_id}/events", headers=headers).status_code}


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
        sign_everything(client, engine, auth, officer, mediator, r.json(), agreement.pdf, seed=1,
                        seal_image=institution_seal_jpeg(), results=out)

        out["unknown_court"] = client.post(f"/api/v1/cases/{case.id}/judicial/application", headers=auth(officer),
                                           json={"court_name": "某某市某区法院", "deadline_at": deadline(),
                                                 "representatives": reps}).json()
        # the bank's 送达地址确认书 as its representative gave it; the consumer's from the file (no consent given)
        bank_address = {"party_id": bank.id, "address": "广东省广州市天河区珠江新城华夏路10号法务部", "postcode": "510623",
                        "phone": REP_PHONE, "email": "legal@example.cn", "electronic_consent": True,
                        "electronic_channels": ["email"]}
        out["unknown_party_address"] = client.post(
            f"/api/v1/cases/{case.id}/judicial/application", headers=auth(officer),
            json={"court_name": "广州市天河区人民法院", "deadline_at": deadline(), "representatives": reps,
                  "service_addresses": [{**bank_address, "party_id": 999999}]}).json()
        r = client.post(f"/api/v1/cases/{case.id}/judicial/application", headers=auth(officer),
                        json={"court_name": "广州市天河区人民法院", "deadline_at": deadline(), "representatives": reps,
                              "service_addresses": [bank_address]})
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
        out["party_package"] = party_reads_evidence(client, engine, auth, case.id, application["signing_request_id"])
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
        with Session(engine) as s:
            out["unsigned"] = {"agreement": s.get(Document, agreement.id).pdf,
                               "application": s.get(Document, application["application_document_id"]).pdf}
        out["signed"] = {"agreement": signed,
                         "application": zipfile.ZipFile(io.BytesIO(out["zip"])).read("application-signed.pdf")}
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
        from mediation_svc.timeutil import today_in_shanghai

        tomorrow = (today_in_shanghai() + timedelta(days=1)).isoformat()
        out["tomorrow_ruling"] = client.post(f"/api/v1/cases/{case.id}/judicial/ruling", headers=auth(court),
                                             json={**ruling, "ruling_date": tomorrow})
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


def test_a_party_sees_the_case_but_not_the_evidence_package_nor_the_signers_evidence(flow):
    seen = flow["party_package"]
    assert seen["case"] == 200
    assert seen["zip"].status_code == 403 and seen["zip"].json()["type"] == "urn:mediation-svc:problem:forbidden"
    assert seen["page_zip"] == 403  # the page's download follows the same rule
    assert seen["events"] == 403


def test_signed_agreement_from_the_package_verifies_and_is_in_the_registry(flow):
    report = flow["verify_signed"]
    assert report["indication"] == "TOTAL_PASSED", report["summary"]
    assert report["registry"]["matched"] and report["registry"]["match"] == "signed_revision"
    assert report["registry"]["latest_revision"] and report["registry"]["status"] == "signed"
    assert [e["kind"] for e in report["registry"]["signing_history"]] == ["signature", "signature", "signature",
                                                                          "seal", "lta"]


def test_ruling_confirms_the_case_and_is_audited(flow):
    assert flow["officer_ruling"] == 403
    # dated tomorrow in Beijing: refused, naming the field, and the real ruling is still taken afterwards
    assert flow["tomorrow_ruling"].status_code == 422, flow["tomorrow_ruling"].text
    assert "ruling_date" in flow["tomorrow_ruling"].text
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


def test_the_package_proves_the_cases_history_against_a_timestamped_tree_head(flow, keys_dir):
    """The court's check of the audit files: the case's chain and its inclusion proof (issue 16)."""
    from mediation_svc.audit.transparency import center_trust
    from mediation_svc.judicial.package import AUDIT_CHAIN, check_audit_proof
    from mediation_svc.pki.keystore import KeyStore

    _jwks, roots = center_trust(KeyStore(keys_dir, TEST_PASSPHRASE.encode()))
    verdict = check_audit_proof(flow["zip"], flow["jwks"], roots)
    assert verdict.ok, verdict.problems
    assert verdict.timestamped_at and verdict.entries >= 5
    chain = json.loads(check_package(flow["zip"], flow["jwks"]).files[AUDIT_CHAIN])
    assert chain["entries"][0]["action"] == "case.received"
    assert any(e["action"] == "judicial.application_started" for e in chain["entries"])


# -- on paper: the signed agreement and application as printed (pdftoppm -r 150, pdftotext) ----------------

AGREEMENT_BLOCKS = {"party-1": "申请人（签名或按指印）", "party-2": "授权代表（签名）", "mediator": "调解员（签名）",
                    "seal": "调解组织（印章）"}
APPLICATION_BLOCKS = {"party-1": "申请人（签名或按指印）", "party-2": "授权代表（签名）", "mediator": "调解员（签名）",
                      "seal": "调解组织（印章）"}


@pytest.mark.parametrize("which, blocks", [("agreement", AGREEMENT_BLOCKS), ("application", APPLICATION_BLOCKS)])
def test_signed_documents_look_signed_and_sealed_on_paper(flow, which, blocks):
    from ..signing.paper import check_signed_on_paper, keep_pages

    keep_pages(flow["signed"][which], f"{which}-signed")  # test-artifacts/, to look at
    check_signed_on_paper(flow["unsigned"][which], flow["signed"][which], signers=blocks)


def test_the_banks_seal_image_is_checked_and_drawn_in_its_block(flow):
    from ..signing.paper import count, is_red, page_images, signature_fields, to_pixels

    assert flow["seal_not_image"]["status"] == 422 and flow["seal_too_big"] == 413
    field = signature_fields(flow["signed"]["agreement"])["party-2"]
    after = page_images(flow["signed"]["agreement"])[field.page]
    before = page_images(flow["signed"]["application"])  # the application was signed without a seal image
    app_field = signature_fields(flow["signed"]["application"])["party-2"]
    assert count(after, to_pixels(field.rect, after), is_red) > 800
    assert count(before[app_field.page], to_pixels(app_field.rect, before[app_field.page]), is_red) == 0


@pytest.mark.parametrize("which", ["agreement", "application"])
def test_signed_documents_pass_pdfsig_and_pyhanko_with_the_root_trusted(flow, which, nss_db, tmp_path, keys_dir):
    from mediation_svc.pki import hierarchy
    from mediation_svc.pki.keystore import KeyStore
    from mediation_svc.signing import pades
    from mediation_svc.verification.report import verify_pdf

    path = tmp_path / f"{which}.pdf"
    path.write_bytes(flow["signed"][which])
    reports = pdfsig(path, nss_db)
    assert len(reports) == 5  # two parties, the mediator, the seal, the document timestamp
    for report in reports[:4]:  # (pdfsig runs with -no-ocsp: the OCSP URLs are not served during tests)
        assert "Signature Validation: Signature is Valid." in report, report
        assert "issuer is unknown" not in report and "Revoked" not in report and "Expired" not in report
    assert "Total document signed" in reports[-1]
    root = KeyStore(keys_dir, TEST_PASSPHRASE.encode()).certificate(hierarchy.ROOT)
    checks = pades.validate_lta(flow["signed"][which], trust_roots=[root])  # pyHanko's AdES validation
    assert [c.indication for c in checks] == ["PASSED"] * 4 and all(c.intact and c.trusted for c in checks)
    report = verify_pdf(flow["signed"][which], trust_roots=[root], file_name=f"{which}.pdf")
    assert report.indication.value == "TOTAL_PASSED", report.summary


def test_the_application_cites_the_agreement_in_proper_chinese(flow):
    from ..signing.paper import page_texts

    text = "".join(page_texts(flow["signed"]["application"])).replace(" ", "").replace("\n", "")
    assert "被申请人于2026年12月31日前以银行转账方式向申请人支付人民币叁拾捌万元整（¥380,000.00）" in text
    assert "。；" not in text and "2026-12-31" not in text


def test_the_court_comes_from_the_configured_list(flow):
    assert flow["unknown_court"]["status"] == 422 and "广州市天河区人民法院" in flow["unknown_court"]["courts"]


def test_the_30_days_run_from_the_effective_date_and_a_late_application_needs_an_acknowledgement():
    from mediation_svc.judicial.policy import ConfirmationLate, check_in_time, confirmation_deadline

    assert confirmation_deadline(date(2026, 12, 2)) == date(2027, 1, 1)
    assert check_in_time(effective=date(2026, 12, 2), today=date(2027, 1, 1), acknowledged=False) is False
    with pytest.raises(ConfirmationLate):
        check_in_time(effective=date(2026, 12, 2), today=date(2027, 1, 2), acknowledged=False)
    assert check_in_time(effective=date(2026, 12, 2), today=date(2027, 1, 2), acknowledged=True) is True


def test_the_materials_list_is_what_the_package_holds(flow):
    from ..signing.paper import page_texts

    text = "".join(page_texts(flow["signed"]["application"])).replace(" ", "").replace("\n", "")
    assert "授权委托书（受托人：王晓明" in text and "随本申请提交）" in text  # (a table cell wraps the line)
    assert "调解组织主持调解的证明" in text and "待提交）" not in text.split("送达地址确认书")[1][:10]
    # each applicant's 送达地址确认书 is an annex of the application, signed with it (one flow, one signature)
    assert text.count("的送达地址确认书（本申请书附件") == 2 and "随本申请书签署提交" in text
    assert "附件一送达地址确认书" in text and "附件二送达地址确认书" in text
    assert "告知事项" in text and "以文书退回之日视为送达之日" in text
    assert "由受送达人平安人寿保险股份有限公司广东分公司在本申请书申请人签名栏签署" in text
    consumer, bank = text.split("附件一")[-1].split("附件二")
    assert "□同意■不同意" in consumer and "■同意□不同意方式：电子邮件legal@example.cn" in bank
    assert "华夏路10号法务部（邮政编码：510623）" in bank
    assert flow["unknown_party_address"]["status"] == 422 and "999999" in flow["unknown_party_address"]["detail"]
    names = zipfile.ZipFile(io.BytesIO(flow["zip"])).namelist()
    assert "authorisation/letter-1.pdf" in names


def test_a_party_without_an_address_on_file_brings_its_own_confirmation():
    from mediation_svc.documents import samples
    from mediation_svc.judicial.policy import materials

    parties = [samples.CONSUMER, samples.INSURER]
    names = [m["name"] for m in materials(parties=parties, letters={},
                                          addresses=[None, samples.service_address(samples.INSURER)["service"]])]
    assert "陈秀兰的送达地址确认书（待提交）" in names
    assert "平安人寿保险股份有限公司广东分公司的送达地址确认书（本申请书附件一，随本申请书签署提交）" in names
