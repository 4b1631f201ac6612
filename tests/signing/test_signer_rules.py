"""The rules around one signature: codes, links, uploads, decline/void/expiry, TSA outage, a crash before
commit, two parties at once, and an institution's own certificate."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from sqlalchemy import update
from sqlmodel import Session, select

from mediation_svc.audit.models import AuditEntry
from mediation_svc.db import unit_of_work, utcnow
from mediation_svc.pki import hierarchy
from mediation_svc.pki.tsa import make_timestamper
from mediation_svc.signing import pades, service
from mediation_svc.signing.models import SignedRevision, SigningLink, SigningParticipant, SigningRequest

from ..factories import resident_id
from .conftest import drawn_signature
from .flow import (REP_ID, REP_PHONE, BrowserKey, Signer, code_from_sms, deadline, insert_final_document,
                   institution_party, latest_sms, link_from_sms, sign_with_browser_key, walk_to_drafting)

PROBLEM = "urn:mediation-svc:problem:"


class World:
    def __init__(self, client, engine, auth, officer, mediator, request_id):
        self.client, self.engine, self.auth = client, engine, auth
        self.officer, self.mediator, self.request_id = officer, mediator, request_id

    def consumer(self) -> Signer:
        return Signer(self.client, self.engine, "陈秀兰", id_last4=resident_id()[-4:])

    def representative(self) -> Signer:
        return Signer(self.client, self.engine, "王晓明", id_last4=REP_ID[-4:])

    def participant(self, kind: str) -> SigningParticipant:
        with Session(self.engine) as s:
            return s.exec(select(SigningParticipant).where(SigningParticipant.request_id == self.request_id,
                                                           SigningParticipant.kind == kind)).one()

    def request(self) -> SigningRequest:
        with Session(self.engine) as s:
            return s.get(SigningRequest, self.request_id)

    def revisions(self) -> list[SignedRevision]:
        with Session(self.engine) as s:
            return list(s.exec(select(SignedRevision).order_by(SignedRevision.sequence)).all())


def open_world(client, engine, auth, make_user, make_case, pdf, *, rep_mode="remote", rep_cert_pem=None) -> World:
    officer = make_user("case_officer", display_name="李文静")
    mediator = make_user("mediator", display_name="陈国栋", phone="13902000001")
    case = make_case(officer=officer)
    walk_to_drafting(engine, case.id, mediator)
    document = insert_final_document(engine, case.id, pdf)
    bank = institution_party(engine, case.id)
    rep = {"party_id": bank.id, "name": "王晓明", "phone": REP_PHONE, "id_number": REP_ID, "mode": rep_mode}
    if rep_cert_pem:
        rep["certificate_pem"] = rep_cert_pem
    r = client.post(f"/api/v1/cases/{case.id}/signing-requests", headers=auth(officer),
                    json={"document_id": document.id, "deadline_at": deadline(), "representatives": [rep]})
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    pid = next(p["id"] for p in r.json()["participants"] if p["kind"] == "representative")
    url = f"/api/v1/signing-requests/{rid}/participants/{pid}/authorisation"
    assert client.put(url, headers={**auth(officer), "Content-Type": "application/pdf"}, content=pdf).status_code == 200
    assert client.post(f"{url}/approve", headers=auth(officer)).json()["status"] == "open"
    return World(client, engine, auth, officer, mediator, rid)


@pytest.fixture
def world(client, engine, auth, make_user, make_case, agreement_pdf) -> World:
    return open_world(client, engine, auth, make_user, make_case, agreement_pdf)


def test_five_wrong_codes_lock_and_a_new_link_unlocks(world):
    client = world.client
    link = link_from_sms(world.engine, "陈秀兰")
    assert client.post("/api/v1/sign/code", json={"link": link}).status_code == 200
    good = code_from_sms(world.engine, "陈秀兰")
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    answers = [client.post("/api/v1/sign/verify", json={"link": link, "code": wrong, "id_last4": resident_id()[-4:]})
               for _ in range(5)]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 423]
    assert answers[0].json()["attempts_left"] == 4
    # the lock survived the failed requests' rollbacks; even the right code is refused now
    right = client.post("/api/v1/sign/verify", json={"link": link, "code": good, "id_last4": resident_id()[-4:]})
    assert right.status_code == 423 and right.json()["type"] == PROBLEM + "signing-code-locked"
    assert world.participant("person").otp_locked
    with Session(world.engine) as s:
        assert len(s.exec(select(AuditEntry).where(AuditEntry.action == "signing.identity_failed")).all()) == 5
    pid = world.participant("person").id
    r = client.post(f"/api/v1/signing-requests/{world.request_id}/participants/{pid}/link",
                    headers=world.auth(world.officer))
    assert r.status_code == 204
    old = client.post("/api/v1/sign/code", json={"link": link})  # the old link only says it was replaced
    assert old.status_code == 409 and old.json()["signer_state"] == "replaced"
    world.consumer().identify()  # the new one works


def test_code_resend_is_throttled_expires_and_needs_the_id(world):
    client = world.client
    link = link_from_sms(world.engine, "陈秀兰")
    assert client.post("/api/v1/sign/code", json={"link": link}).status_code == 200
    again = client.post("/api/v1/sign/code", json={"link": link})
    assert again.status_code == 429 and int(again.headers["Retry-After"]) > 0
    code = code_from_sms(world.engine, "陈秀兰")
    wrong_id = client.post("/api/v1/sign/verify", json={"link": link, "code": code, "id_last4": "9999"})
    assert wrong_id.status_code == 401
    with unit_of_work(world.engine) as s:
        s.execute(update(SigningParticipant).where(SigningParticipant.id == world.participant("person").id)
                  .values(otp_expires_at=utcnow() - dt.timedelta(seconds=1)))
    expired = client.post("/api/v1/sign/verify", json={"link": link, "code": code, "id_last4": resident_id()[-4:]})
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]
    with Session(world.engine) as s:  # the code is a secret: never in the audit log
        assert not any(code in e.payload for e in s.exec(select(AuditEntry)).all())
    # a fresh code (after the resend gap) does not give the wrong tries back
    with unit_of_work(world.engine) as s:
        s.execute(update(SigningParticipant).where(SigningParticipant.id == world.participant("person").id)
                  .values(otp_sent_at=utcnow() - dt.timedelta(minutes=2)))
    assert client.post("/api/v1/sign/code", json={"link": link}).status_code == 200
    again = client.post("/api/v1/sign/verify", json={"link": link, "code": code_from_sms(world.engine, "陈秀兰"),
                                                     "id_last4": "9999"})
    assert again.status_code == 401 and again.json()["attempts_left"] == 3


def test_unknown_links_are_refused_and_counted_per_address(world):
    from mediation_svc.signing.identity import LINK_ALPHABET, LINK_CODE_LENGTH

    link = link_from_sms(world.engine, "陈秀兰")
    assert len(link) == LINK_CODE_LENGTH and set(link) <= set(LINK_ALPHABET)  # 12 x 5 bits = 60 bits
    with Session(world.engine) as s:  # the database holds only the code's HMAC
        assert not s.exec(select(SigningLink).where(SigningLink.code_hash == link)).first()
        assert all(link not in (row.code_hash or "") for row in s.exec(select(SigningLink)).all())
    guess = ("0" if link[0] != "0" else "1") + link[1:]
    answers = [world.client.post("/api/v1/sign/code", json={"link": guess}).status_code for _ in range(20)]
    assert answers == [404] * 20
    refused = world.client.post("/api/v1/sign/code", json={"link": link})  # even the right link, from there
    assert refused.status_code == 429 and refused.json()["type"] == PROBLEM + "rate-limited"


def test_a_link_works_until_the_deadline_and_not_after(world):
    link = link_from_sms(world.engine, "陈秀兰")
    sms = latest_sms(world.engine, kind="signing.link", name="陈秀兰").body
    assert len(sms) <= 134 and "咨询电话4009-888-188" in sms and "eyJ" not in sms
    assert re.search(r"请于\d{1,2}月\d{1,2}日 \d{2}:\d{2}前签署", sms)
    with unit_of_work(world.engine) as s:  # 5 days later (the old JWT died after 72 hours): still works
        s.execute(update(SigningRequest).where(SigningRequest.id == world.request_id)
                  .values(deadline_at=utcnow() + dt.timedelta(hours=1)))
    assert world.client.post("/api/v1/sign/code", json={"link": link}).status_code == 200
    with unit_of_work(world.engine) as s:
        s.execute(update(SigningRequest).where(SigningRequest.id == world.request_id)
                  .values(deadline_at=utcnow() - dt.timedelta(minutes=1)))
    late = world.client.post("/api/v1/sign/code", json={"link": link})
    assert late.status_code == 409 and late.json()["signer_state"] == "expired"


def test_tokens_are_not_interchangeable(world):
    client = world.client
    signer = world.consumer().identify()
    # a session token is no link, a link is no session
    assert client.post("/api/v1/sign/code", json={"link": signer.token}).status_code == 422
    assert client.get("/api/v1/sign/session", headers={"Authorization": f"Bearer {signer.link}"}).status_code == 401
    # a staff access token is not a signing session either
    assert client.get("/api/v1/sign/session", headers=world.auth(world.officer)).status_code == 401


def test_drawings_are_checked(world):
    from PIL import Image

    signer = world.consumer().identify()
    url, headers = "/api/v1/sign/session/drawing", {**signer.headers, "Content-Type": "image/png"}
    assert world.client.put(url, headers=headers, content=b"GIF89a....").status_code == 422
    blank = io.BytesIO()
    Image.new("RGBA", (300, 100), (255, 255, 255, 0)).save(blank, "PNG")
    assert world.client.put(url, headers=headers, content=blank.getvalue()).json()["detail"].startswith(
        "the drawn signature is empty")
    noise = io.BytesIO()
    Image.effect_noise((1200, 600), 100).convert("RGB").save(noise, "PNG")
    assert world.client.put(url, headers=headers, content=noise.getvalue()).status_code == 413
    assert world.client.put(url, headers=headers, content=drawn_signature()).status_code == 200
    # confirming before reading the document and consenting is refused, and says what is missing
    r = signer.confirm()
    assert r.status_code == 409 and set(r.json()["missing"]) == {"document_viewed", "consent"}


def test_decline_void_and_expiry(world, client, engine, auth, make_user, make_case, agreement_pdf, settings):
    consumer = world.consumer().identify()
    other_party_link = link_from_sms(engine, "王晓明")  # on their phone; the outbox forgets it once withdrawn
    r = client.post("/api/v1/sign/session/decline", headers=consumer.headers, json={"reason": "金额与口头约定不一致"})
    assert r.status_code == 200 and r.json()["request_status"] == "declined"
    assert "拒绝签署" in latest_sms(engine, kind="signing.closed", name="王晓明").body
    assert client.post("/api/v1/sign/code", json={"link": other_party_link}).status_code in (401, 409)
    # the decliner's session only says that they declined; it signs nothing any more
    home = client.get("/api/v1/sign/session", headers=consumer.headers)
    assert home.status_code == 200 and home.json()["state"] == "declined"
    assert home.json()["declined_reason"] == "金额与口头约定不一致"
    assert client.post("/api/v1/sign/session/consent", headers=consumer.headers,
                       json={"consent_text": "x"}).status_code in (409, 422)
    assert client.post("/api/v1/sign/session/decline", headers=consumer.headers, json={}).status_code == 409

    second = open_world(client, engine, auth, make_user, make_case, agreement_pdf)
    r = client.post(f"/api/v1/signing-requests/{second.request_id}/void", headers=auth(second.officer),
                    json={"reason": "协议条款需要修改"})
    assert r.status_code == 200 and r.json()["status"] == "voided"
    assert client.post(f"/api/v1/signing-requests/{second.request_id}/void", headers=auth(second.mediator),
                       json={"reason": "x"}).status_code == 403

    third = open_world(client, engine, auth, make_user, make_case, agreement_pdf)
    consumer_link = link_from_sms(engine, "陈秀兰")
    r = client.post(f"/api/v1/signing-requests/{third.request_id}/remind", headers=auth(third.mediator))
    assert r.status_code == 200 and len(r.json()["reminded"]) == 2
    with unit_of_work(engine) as s:
        assert service.expire_due(s, settings, now=utcnow() + dt.timedelta(days=8)) == [third.request_id]
    assert third.request().status == "expired"
    assert client.post("/api/v1/sign/code", json={"link": consumer_link}).status_code in (401, 409)
    # the signers who had a link were told, each time, in Chinese, within two segments
    told = latest_sms(engine, kind="signing.closed", name="陈秀兰").body
    assert "签署已过截止时间" in told and len(told) <= 134


def test_unreachable_tsa_stops_signing_and_commits_nothing(world, app):
    signer = world.consumer().identify().prepare()
    working = app.state.timestamper
    app.state.timestamper = make_timestamper(None, url="http://127.0.0.1:9/tsa", timeout=2)
    try:
        r = signer.confirm()
    finally:
        app.state.timestamper = working
    assert r.status_code == 503 and r.json()["type"] == PROBLEM + "timestamp-unavailable"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert world.revisions() == [] and world.request().revision == 0
    assert world.participant("person").status == "pending"
    assert signer.confirm().status_code == 200  # the same session signs once the TSA answers
    # one signature of an unfinished request is evidence, not "the signed agreement"
    with Session(world.engine) as s:
        document_id = world.request().document_id
        assert service.signed_pdf(s, document_id=document_id) is None
        (event,) = service.signing_events(s, document_id=document_id)
        assert event["request_status"] == "open" and event["evidence"]["signer"]["name"] == "陈秀兰"


def test_crash_after_the_pdf_is_made_leaves_the_previous_revision(world, monkeypatch):
    signer = world.consumer().identify().prepare()
    before = world.request().current_sha256
    produced = []
    from mediation_svc.signing import signatures

    real_store = signatures.store_revision

    def crash(session, **kwargs):
        produced.append(kwargs["pdf"])  # the signed PDF exists at this point
        raise RuntimeError("power cut")

    monkeypatch.setattr(signatures, "store_revision", crash)
    r = signer.confirm()
    assert r.status_code == 500 and produced and produced[0].startswith(b"%PDF")
    assert world.request().current_sha256 == before and world.revisions() == []
    assert world.participant("person").status == "pending"
    monkeypatch.setattr(signatures, "store_revision", real_store)
    r = signer.confirm()
    assert r.status_code == 200 and r.json()["sha256_before"] == before


def test_two_parties_signing_at_once_both_end_up_in_the_file(world):
    consumer = world.consumer().identify().prepare(seed=1)
    representative = world.representative().identify().prepare(seed=2)
    keys = (BrowserKey(), BrowserKey())
    # both browsers prepared on the same revision; the one finishing second is told to prepare again
    prepared = [_prepare(world.client, signer.headers, key) for signer, key in zip((consumer, representative), keys)]
    assert _finish(world.client, consumer.headers, keys[0], prepared[0]).status_code == 200
    late = _finish(world.client, representative.headers, keys[1], prepared[1])
    assert late.status_code == 409 and late.json()["type"] == PROBLEM + "signing-document-changed"
    assert sign_with_browser_key(world.client, representative.headers, keys[1]).status_code == 200
    first, second = world.revisions()
    assert second.sha256_before == first.sha256_after
    reader = PdfFileReader(io.BytesIO(second.pdf))
    sigs = reader.embedded_regular_signatures
    assert sorted(s.field_name for s in sigs) == ["party-1", "party-2"]
    for sig in sigs:
        status = validate_pdf_signature(sig)
        assert status.intact and status.valid
    # both parties have signed: the mediator's turn has come, and the SMS sends them to their console
    assert world.participant("mediator").status == "pending"
    assert latest_sms(world.engine, kind="signing.mediator_turn", name="陈国栋")


def _prepare(client, headers, key) -> bytes:
    import base64

    from mediation_svc.signing.remote_key import possession_message

    challenge = client.get("/api/v1/sign/session", headers=headers).json()["possession_challenge"]
    r = client.post("/api/v1/sign/session/key/prepare", headers=headers, json={
        "public_key_b64": base64.b64encode(key.spki()).decode(),
        "possession_signature_b64": base64.b64encode(key.sign(possession_message(challenge))).decode()})
    assert r.status_code == 200, r.text
    return base64.b64decode(r.json()["signed_attributes_b64"])


def _finish(client, headers, key, attrs: bytes):
    import base64

    return client.post("/api/v1/sign/session/key/finish", headers=headers,
                       json={"signature_b64": base64.b64encode(key.sign(attrs)).decode()})


def _institution_certificate(keystore, key, name="中国工商银行股份有限公司广州分行"):
    now = dt.datetime.now(dt.timezone.utc)
    issuing = keystore.certificate(hierarchy.ISSUING)
    return (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
                                     x509.NameAttribute(NameOID.COMMON_NAME, "王晓明")]))
            .issuer_name(issuing.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .sign(keystore.private_key(hierarchy.ISSUING), hashes.SHA256()))


def _cms_over(digest: bytes, cert, key, keystore) -> bytes:
    signer = pades.key_signer(cert, key, (keystore.certificate(hierarchy.ISSUING),))
    return asyncio.run(signer.async_sign(digest, "sha256", use_pades=True)).dump()


def test_institution_signs_with_its_own_certificate(client, engine, auth, make_user, make_case, agreement_pdf,
                                                    keystore):
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _institution_certificate(keystore, key)
    pem = cert.public_bytes(Encoding.PEM).decode()
    world = open_world(client, engine, auth, make_user, make_case, agreement_pdf, rep_mode="external",
                       rep_cert_pem=pem)
    rep = world.representative().identify()
    rep.client.get("/api/v1/sign/session/document", headers=rep.headers)
    view = client.get("/api/v1/sign/session", headers=rep.headers).json()
    client.post("/api/v1/sign/session/consent", headers=rep.headers, json={"consent_text": view["consent_text"]})
    assert rep.confirm().status_code == 409  # no certificate from the center for this signer
    prepared = client.post("/api/v1/sign/session/external/prepare", headers=rep.headers)
    assert prepared.status_code == 200, prepared.text
    digest = bytes.fromhex(prepared.json()["document_digest_hex"])

    import base64

    other_key = ec.generate_private_key(ec.SECP256R1())
    stranger = _institution_certificate(keystore, other_key, name="某某公司")
    r = client.post("/api/v1/sign/session/external/finish", headers=rep.headers,
                    json={"cms_b64": base64.b64encode(_cms_over(digest, stranger, other_key, keystore)).decode()})
    assert r.status_code == 422 and "other than the one on record" in r.json()["detail"]
    r = client.post("/api/v1/sign/session/external/finish", headers=rep.headers,
                    json={"cms_b64": base64.b64encode(_cms_over(digest, cert, key, keystore)).decode()})
    assert r.status_code == 200, r.text
    (revision,) = world.revisions()
    sig = PdfFileReader(io.BytesIO(revision.pdf)).embedded_regular_signatures[0]
    assert sig.signer_cert.dump() == cert.public_bytes(Encoding.DER)
    status = validate_pdf_signature(sig)
    assert status.intact and status.valid and status.timestamp_validity is not None
    assert world.participant("representative").status == "signed"
