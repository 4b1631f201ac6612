"""End to end through the API: a finalised agreement becomes a B-LTA PDF signed by the consumer, the bank's
representative (on site, hosted by the mediator), the mediator and the center's seal. One module-scoped run
(signing is CPU-heavy); the checks that follow look at its result with pyHanko, pdfsig and openssl."""

from __future__ import annotations

from decimal import Decimal

import hashlib
import io

import pytest
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi.testclient import TestClient
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlmodel import Session, select

from mediation_svc.accounts.schemas import UserCreate
from mediation_svc.accounts.service import create_user, issue_access_token
from mediation_svc.audit.chain import verify_chain
from mediation_svc.cases.models import Case
from mediation_svc.cases.schemas import CaseIntake
from mediation_svc.cases.service import intake_case
from mediation_svc.db import unit_of_work
from mediation_svc.documents.models import Document
from mediation_svc.pki import hierarchy
from mediation_svc.signing import pades, remote_key, service

from ..factories import intake_payload, resident_id
from ..scheduling.helpers import iso, workday_ahead
from .conftest import byte_range_digest, openssl_ts_verify, pdfsig
from .flow import (REP_ID, REP_PHONE, Signer, deadline, finalise_agreement, institution_party, latest_sms, module_app,
                   walk_to_drafting)

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def flow(database_template, keys_dir, tmp_path_factory):
    """Run the whole flow once; returns what the checks need."""
    settings, engine, app = module_app(database_template, keys_dir, tmp_path_factory, "flow")
    with unit_of_work(engine) as s:
        officer = create_user(s, data=UserCreate(username="officer.flow", password="correct-horse-42",
                                                 display_name="李文静", role="case_officer"), actor="test")
        mediator = create_user(s, data=UserCreate(username="mediator.flow", password="correct-horse-42",
                                                  display_name="陈国栋", role="mediator", phone="13902000001"),
                               actor="test")
        case = intake_case(s, settings, data=CaseIntake(**intake_payload()), actor=officer)

    def auth(user):
        return {"Authorization": f"Bearer {issue_access_token(app.state.tokens, settings, user)[0]}"}

    walk_to_drafting(engine, case.id, mediator)
    result = {"engine": engine, "settings": settings, "case_id": case.id}
    with TestClient(app, raise_server_exceptions=False) as client:
        # a video session booked during the mediation: the signed case will not need it
        r = client.post(f"/api/v1/cases/{case.id}/sessions", headers=auth(officer), json={
            "mode": "remote", "duration_minutes": 60, "starts_at": iso(workday_ahead(), 10)})
        assert r.status_code == 201, r.text
        result["session_id"] = r.json()["id"]
        document = finalise_agreement(engine, settings, case.id, officer)
        bank = institution_party(engine, case.id)
        result["document_id"] = document.id
        r = client.post(f"/api/v1/cases/{case.id}/signing-requests", headers=auth(officer), json={
            "document_id": document.id, "deadline_at": deadline(),
            "representatives": [{"party_id": bank.id, "name": "王晓明", "phone": REP_PHONE, "id_number": REP_ID}]})
        assert r.status_code == 201, r.text
        req = r.json()
        result["opened"] = req
        rid = req["id"]
        rep = next(p for p in req["participants"] if p["kind"] == "representative")
        letter_url = f"/api/v1/signing-requests/{rid}/participants/{rep['id']}/authorisation"
        result["letter_not_pdf"] = client.put(letter_url, headers={**auth(officer), "Content-Type": "application/pdf"},
                                              content=b"GIF89a not a pdf").status_code
        with Session(engine) as s:
            letter_pdf = s.get(Document, document.id).pdf
        r = client.put(letter_url, headers={**auth(officer), "Content-Type": "application/pdf"}, content=letter_pdf)
        assert r.status_code == 200, r.text
        result["mediator_approves"] = client.post(f"{letter_url}/approve", headers=auth(mediator)).status_code
        r = client.post(f"{letter_url}/approve", headers=auth(officer))
        assert r.status_code == 200 and r.json()["status"] == "open", r.text

        # the consumer signs remotely on her phone, from the link in her SMS
        consumer = Signer(client, engine, "陈秀兰", id_last4=resident_id()[-4:]).identify().prepare(seed=1)
        result["seal_too_early"] = client.post(f"/api/v1/signing-requests/{rid}/seal", headers=auth(officer)).json()
        r = consumer.confirm()
        assert r.status_code == 200, r.text

        # the bank's representative signs on site, on the tablet the mediator hosts
        r = client.post(f"/api/v1/signing-requests/{rid}/participants/{rep['id']}/onsite", headers=auth(mediator))
        assert r.status_code == 200, r.text
        link = r.json()["link"]
        representative = Signer(client, engine, "王晓明", id_last4=REP_ID[-4:]).identify(link).prepare(seed=2)
        r = representative.confirm()
        assert r.status_code == 200, r.text
        result["link_after_signing"] = client.post("/api/v1/sign/code", json={"link": link}).json()

        # then the mediator, logged in, from the case page (the SMS code; no link is sent to a mediator)
        result["mediator_sms"] = latest_sms(engine, kind="signing.mediator_turn", name="陈国栋").body
        r = Signer(client, engine, "陈国栋", id_last4=None).identify_as_mediator(rid, auth(mediator)).prepare(
            seed=3).confirm()
        assert r.status_code == 200, r.text
        # with the issuing CA revoked (from the command line), sealing stops with a problem, nothing stored
        result["seal_after_ca_revoked"] = seal_with_issuing_ca_revoked(client, engine, auth(officer), rid)
        # the officer applies the seal; the file is closed to B-LTA
        r = client.post(f"/api/v1/signing-requests/{rid}/seal", headers=auth(officer))
        assert r.status_code == 200, r.text
        result["sealed"] = r.json()
        result["final"] = client.get(f"/api/v1/signing-requests/{rid}", headers=auth(officer)).json()
        r = client.get(f"/api/v1/signing-requests/{rid}/document.pdf", headers=auth(officer))
        result["pdf"] = r.content
        result["events"] = client.get(f"/api/v1/signing-requests/{rid}/events", headers=auth(officer)).json()
    yield result
    engine.dispose()


def seal_with_issuing_ca_revoked(client, engine, headers, request_id: int) -> dict:
    from mediation_svc.db import unit_of_work
    from mediation_svc.pki import hierarchy, service as pki
    from mediation_svc.pki.keystore import KeyStore
    from mediation_svc.pki.models import IssuedCertificate
    from mediation_svc.signing.models import SignedRevision

    store = KeyStore(client.app.state.settings.key_dir, client.app.state.settings.passphrase())
    with unit_of_work(engine) as s:
        row = pki.revoke(s, store, serial=store.certificate(hierarchy.ISSUING).serial_number,
                         reason="ca_compromise", actor="cli:test")
        revisions = len(s.exec(select(SignedRevision).where(SignedRevision.request_id == request_id)).all())
    r = client.post(f"/api/v1/signing-requests/{request_id}/seal", headers=headers)
    with unit_of_work(engine) as s:
        after = len(s.exec(select(SignedRevision).where(SignedRevision.request_id == request_id)).all())
        # this test database only: take the revocation back so the rest of the story can seal
        s.delete(s.get(IssuedCertificate, row.id))
    return {"status": r.status_code, "body": r.json(), "stored": after - revisions}


def test_sealing_with_a_revoked_ca_is_a_problem_and_stores_nothing(flow):
    refused = flow["seal_after_ca_revoked"]
    assert refused["status"] == 409, refused["body"]
    assert refused["body"]["type"] == "urn:mediation-svc:problem:certificate-not-valid"
    assert "revoked" in refused["body"]["detail"] and refused["stored"] == 0


def test_request_waits_for_the_authorisation_letter(flow):
    assert flow["opened"]["status"] == "awaiting_authorisation"
    kinds = [(p["stage"], p["kind"], p["status"]) for p in flow["opened"]["participants"]]
    assert kinds == [(1, "person", "waiting"), (1, "representative", "waiting"), (2, "mediator", "waiting"),
                     (3, "seal", "waiting")]
    assert flow["letter_not_pdf"] == 422
    assert flow["mediator_approves"] == 403


def test_order_is_enforced_and_a_signed_link_only_says_so(flow):
    assert flow["seal_too_early"]["type"] == "urn:mediation-svc:problem:signing-not-your-turn"
    assert flow["link_after_signing"]["signer_state"] == "signed"
    assert "/s/" not in flow["mediator_sms"] and "登录调解平台" in flow["mediator_sms"]


def test_request_completes_and_moves_document_and_case(flow):
    assert flow["sealed"]["kind"] == "lta" and flow["sealed"]["request_status"] == "completed"
    assert [p["status"] for p in flow["final"]["participants"]] == ["signed"] * 4
    with Session(flow["engine"]) as s:
        assert s.get(Document, flow["document_id"]).status == "signed"
        case = s.get(Case, flow["case_id"])
        # the agreed payments (samples.agreement: 380,000.00 + 16,409.02) become the case's settled amount
        assert case.status == "signed" and case.settled_amount == Decimal("396409.02")
        assert verify_chain(s).ok
        assert service.signed_pdf(s, document_id=flow["document_id"]) == flow["pdf"]


def test_a_signed_case_cancels_its_sessions_still_to_come(flow):
    from mediation_svc.cases.moves import SIGNED
    from mediation_svc.notifications.models import OutboxMessage
    from mediation_svc.scheduling.models import MediationSession, SessionBooking

    with Session(flow["engine"]) as s:
        ms = s.get(MediationSession, flow["session_id"])
        assert ms.status == "cancelled" and ms.cancel_reason == SIGNED
        assert s.exec(select(SessionBooking).where(SessionBooking.session_id == ms.id)).all() == []
        sent = s.exec(select(OutboxMessage).where(OutboxMessage.ref == f"session:{ms.id}")).all()
        kinds = {(m.kind, m.status) for m in sent}
        texts = [m.body for m in sent if m.kind == "session.cancelled" and m.channel == "sms"]
    assert ("session.cancelled", "pending") in kinds and ("session.reminder_1h", "pending") not in kinds
    # what the consumer reads on her phone: why, in Chinese only, and that no session follows
    assert texts and all("原因：调解协议已由各方签署。本案不再安排调解会议。" in t for t in texts), texts
    assert not any("the mediation" in t for t in texts)


def test_final_file_validates_with_pyhanko(flow, keystore):
    checks = pades.validate_lta(flow["pdf"], trust_roots=[keystore.certificate(hierarchy.ROOT)])
    assert [c.field_name for c in checks] == ["party-1", "party-2", "mediator", "seal"]
    for check in checks:
        assert (check.indication, check.intact, check.trusted) == ("PASSED", True, True), check
    reader = PdfFileReader(io.BytesIO(flow["pdf"]))
    assert len(reader.embedded_timestamp_signatures) == 1 and "/DSS" in reader.root
    assert hashlib.sha256(flow["pdf"]).hexdigest() == flow["final"]["current_sha256"]


def test_final_file_passes_pdfsig(flow, nss_db, tmp_path):
    path = tmp_path / "signed.pdf"
    path.write_bytes(flow["pdf"])
    blocks = pdfsig(path, nss_db)
    assert len(blocks) == 5
    for block in blocks[:4]:
        assert "Signature Validation: Signature is Valid." in block, block
        assert "issuer is unknown" not in block and "Revoked" not in block and "Expired" not in block
    assert "Total document signed" in blocks[-1]


def test_every_timestamp_verifies_with_openssl(flow, keys_dir, tmp_path):
    root = keys_dir / f"{hierarchy.ROOT}.crt.pem"
    reader = PdfFileReader(io.BytesIO(flow["pdf"]))
    for sig in reader.embedded_regular_signatures:
        attr = next(a for a in sig.signer_info["unsigned_attrs"] if a["type"].native == "signature_time_stamp_token")
        digest = hashlib.sha256(sig.signer_info["signature"].native).digest()
        assert "Verification: OK" in openssl_ts_verify(attr["values"][0], digest, root, tmp_path)
    for ts in reader.embedded_timestamp_signatures:
        token = cms.ContentInfo({"content_type": "signed_data", "content": ts.signed_data})
        assert "Verification: OK" in openssl_ts_verify(token, byte_range_digest(flow["pdf"], ts), root, tmp_path)


def test_evidence_is_bound_into_each_signer_certificate(flow):
    events = flow["events"]
    assert [e["kind"] for e in events] == ["signature", "signature", "signature", "seal", "lta"]
    reader = PdfFileReader(io.BytesIO(flow["pdf"]))
    sigs = reader.embedded_regular_signatures
    for event, sig in zip(events[:3], sigs[:3]):
        cert = x509.load_der_x509_certificate(sig.signer_cert.dump())
        assert pades.evidence_digest_of(cert).hex() == event["evidence_sha256"]
        assert f"{cert.serial_number:x}" == event["cert_serial"]
        evidence = event["evidence"]
        assert evidence["identity"]["sms_code_verified_at"] and evidence["consent"]["sha256"]
        assert evidence["document"]["sha256_before"] == event["sha256_before"]
        assert evidence["client"]["user_agent"].startswith("test-phone/")
    consumer, rep, mediator = (e["evidence"] for e in events[:3])
    assert consumer["mode"] == "remote" and consumer["identity"]["id_last4_verified_at"]
    assert rep["mode"] == "onsite" and rep["onsite_host"]["name"] == "陈国栋"
    assert rep["authorisation_letter"]["checked_by"] == "李文静" and rep["signer"]["on_behalf_of"]
    assert mediator["signer"]["role"] == "调解员" and mediator["identity"]["id_last4_verified_at"] is None
    # every key was made in the signer's own browser, and each certificate says so
    for event, sig in zip(events[:3], sigs[:3]):
        assert event["evidence"]["key"]["origin"] == "signer_device"
        cert = x509.load_der_x509_certificate(sig.signer_cert.dump())
        assert remote_key.key_origin_of(cert) == remote_key.KEY_ORIGIN_SIGNER_DEVICE
        assert hashlib.sha256(cert.public_key().public_bytes(
            Encoding.DER, PublicFormat.SubjectPublicKeyInfo)).hexdigest() == event["evidence"]["key"]["public_key_sha256"]
    # each revision builds on the one before: nothing was overwritten
    for before, after in zip(events, events[1:]):
        assert after["sha256_before"] == before["sha256_after"]
