"""The key in the signer's hands: the service never makes, receives or stores a remote signer's private key;
the certificate is for the browser's key and says where it was made; on site, a tablet without WebCrypto falls
back to a one-time key of the center, and the evidence says so. Also: who may be asked to sign at all."""

from __future__ import annotations

import io

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from sqlalchemy import inspect, text
from sqlmodel import Session, select

from mediation_svc.signing import remote_key
from mediation_svc.signing.models import SigningParticipant, SigningRequest

from ..factories import resident_id
from .flow import (REP_ID, REP_PHONE, BrowserKey, Signer, deadline, insert_final_document, institution_party,
                   latest_sms, sign_with_browser_key, walk_to_drafting)
from .test_signer_rules import World, open_world


@pytest.fixture
def world(client, engine, auth, make_user, make_case, agreement_pdf) -> World:
    return open_world(client, engine, auth, make_user, make_case, agreement_pdf)


def test_the_service_never_holds_a_remote_signers_private_key(world, monkeypatch):
    from cryptography.hazmat.primitives.asymmetric import ec

    def refuse(*args, **kwargs):
        raise AssertionError("the service tried to make a private key for a remote signer")

    key = BrowserKey()  # made by the "browser" (the test) before the service is involved
    # nothing in the service may make a key pair while a remote signer signs
    monkeypatch.setattr(ec, "generate_private_key", refuse)
    signer = world.consumer().identify().prepare()
    r = sign_with_browser_key(world.client, signer.headers, key)
    assert r.status_code == 200, r.text
    monkeypatch.undo()

    (revision,) = world.revisions()
    sig = PdfFileReader(io.BytesIO(revision.pdf)).embedded_regular_signatures[0]
    cert = x509.load_der_x509_certificate(sig.signer_cert.dump())
    assert cert.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo) == key.spki()
    assert remote_key.key_origin_of(cert) == remote_key.KEY_ORIGIN_SIGNER_DEVICE
    assert validate_pdf_signature(sig).intact and validate_pdf_signature(sig).valid
    # the private scalar is nowhere in the database: not in any column of any row
    secret = key._key.private_numbers().private_value.to_bytes(32, "big")
    pkcs8 = key._key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption())
    with Session(world.engine) as s:
        for table in inspect(s.get_bind()).get_table_names():
            for row in s.execute(text(f'SELECT * FROM "{table}"')).all():
                for value in row:
                    blob = value if isinstance(value, bytes) else str(value).encode()
                    assert secret not in blob and pkcs8 not in blob and secret.hex().encode() not in blob, table
    evidence = world.client.get(f"/api/v1/signing-requests/{world.request_id}/events",
                                headers=world.auth(world.officer)).json()[0]["evidence"]
    assert evidence["key"]["origin"] == "signer_device" and evidence["key"]["possession_verified_at"]


def test_a_key_without_proof_or_a_signature_by_another_key_is_refused(world):
    import base64

    signer = world.consumer().identify().prepare()
    mine, other = BrowserKey(), BrowserKey()
    challenge = world.client.get("/api/v1/sign/session", headers=signer.headers).json()["possession_challenge"]
    wrong_proof = world.client.post("/api/v1/sign/session/key/prepare", headers=signer.headers, json={
        "public_key_b64": base64.b64encode(mine.spki()).decode(),
        "possession_signature_b64": base64.b64encode(other.sign(remote_key.possession_message(challenge))).decode()})
    assert wrong_proof.status_code == 422 and "refused" in wrong_proof.json()["detail"]
    ok = world.client.post("/api/v1/sign/session/key/prepare", headers=signer.headers, json={
        "public_key_b64": base64.b64encode(mine.spki()).decode(),
        "possession_signature_b64": base64.b64encode(mine.sign(remote_key.possession_message(challenge))).decode()})
    attrs = base64.b64decode(ok.json()["signed_attributes_b64"])
    forged = world.client.post("/api/v1/sign/session/key/finish", headers=signer.headers,
                               json={"signature_b64": base64.b64encode(other.sign(attrs)).decode()})
    assert forged.status_code == 422 and world.revisions() == []
    # a remote signer cannot take the center's key instead
    assert world.client.post("/api/v1/sign/session/confirm", headers=signer.headers).status_code == 409


def test_on_site_without_webcrypto_the_center_makes_a_one_time_key_and_says_so(world):
    rep = world.participant("representative")
    r = world.client.post(f"/api/v1/signing-requests/{world.request_id}/participants/{rep.id}/onsite",
                          headers=world.auth(world.mediator))
    assert r.status_code == 200, r.text
    signer = world.representative().identify(r.json()["link"])
    client, headers = world.client, signer.headers
    assert client.get("/api/v1/sign/session/document", headers=headers).status_code == 200
    from mediation_svc.signing.service import CONSENT_TEXTS

    r = client.post("/api/v1/sign/session/consent", headers=headers,
                    json={"consent_text": CONSENT_TEXTS["center_server"]["zh-CN"], "key_origin": "center_server"})
    assert r.status_code == 200, r.text
    from .conftest import drawn_signature

    client.put("/api/v1/sign/session/drawing", headers={**headers, "Content-Type": "image/png"},
               content=drawn_signature())
    r = client.post("/api/v1/sign/session/confirm", headers=headers)
    assert r.status_code == 200, r.text
    event = client.get(f"/api/v1/signing-requests/{world.request_id}/events", headers=world.auth(world.officer)).json()[0]
    assert event["evidence"]["key"]["origin"] == "center_server" and event["evidence"]["mode"] == "onsite"


def _open(client, auth, officer, case_id, document_id, rep):
    return client.post(f"/api/v1/cases/{case_id}/signing-requests", headers=auth(officer),
                       json={"document_id": document_id, "deadline_at": deadline(), "representatives": [rep]})


def test_a_representative_needs_an_id_number_and_a_mobile(client, engine, auth, make_user, make_case, agreement_pdf):
    officer = make_user("case_officer")
    mediator = make_user("mediator", phone="13902000001")
    case = make_case(officer=officer)
    walk_to_drafting(engine, case.id, mediator)
    document = insert_final_document(engine, case.id, agreement_pdf)
    bank = institution_party(engine, case.id)
    base = {"party_id": bank.id, "name": "王晓明", "phone": REP_PHONE, "id_number": REP_ID}
    short = _open(client, auth, officer, case.id, document.id, {**base, "phone": "1392468"})
    assert short.status_code == 422 and short.json()["errors"][0]["loc"][-1] == "phone"
    landline = _open(client, auth, officer, case.id, document.id, {**base, "phone": "020-83888888"})
    assert landline.status_code == 422 and landline.json()["errors"][0]["loc"][-1] == "phone"
    no_id = _open(client, auth, officer, case.id, document.id, {**base, "id_number": None})
    assert no_id.status_code == 422 and "no ID number on file" in no_id.json()["detail"]
    bad_id = _open(client, auth, officer, case.id, document.id, {**base, "id_number": "440104198806150031"})
    assert bad_id.status_code == 422 and "check digit" in bad_id.json()["detail"]
    with Session(engine) as s:
        assert s.exec(select(SigningRequest)).all() == []  # nothing was opened, no SMS "sent" to a bad number
    ok = _open(client, auth, officer, case.id, document.id, base)
    assert ok.status_code == 201, ok.text
    masks = {p["kind"]: p["id_masked"] for p in ok.json()["participants"]}
    assert masks["representative"] == REP_ID[:6] + "*" * 12  # the four the check asks for are not shown
    assert masks["person"] == resident_id()[:6] + "*" * 12


def test_a_past_deadline_expires_on_the_spot_and_superseding_closes_the_request(world, client, engine, auth,
                                                                              settings):
    import datetime as dt

    from sqlalchemy import update

    from mediation_svc.db import unit_of_work, utcnow

    with unit_of_work(engine) as s:
        s.execute(update(SigningRequest).values(deadline_at=utcnow() - dt.timedelta(minutes=1)))
    document_id = world.request().document_id
    case_id = world.request().case_id
    bank = institution_party(engine, case_id)
    again = _open(client, auth, world.officer, case_id, document_id,
                  {"party_id": bank.id, "name": "王晓明", "phone": REP_PHONE, "id_number": REP_ID})
    assert again.status_code == 201, again.text  # no manual void was needed
    assert world.request().status == "expired"
    assert "签署已过截止时间" in latest_sms(engine, kind="signing.closed", name="陈秀兰").body


def test_superseding_the_document_voids_its_request_and_tells_the_signers(client, engine, auth, make_user,
                                                                        make_case, settings):
    from mediation_svc.accounts.models import User
    from mediation_svc.cases.models import Case
    from mediation_svc.db import unit_of_work
    from mediation_svc.documents.models import Document
    from mediation_svc.signing.service import supersede_document as supersede

    from .flow import request_on_finalised_agreement

    officer, case, document, rid = request_on_finalised_agreement(client, engine, settings, auth, make_user, make_case)
    with unit_of_work(engine) as s:
        s.execute(text("UPDATE signing_requests SET status='open' WHERE id=:id"), {"id": rid})
        s.execute(text("UPDATE signing_participants SET status='pending' WHERE request_id=:id AND stage=1"),
                  {"id": rid})
    with unit_of_work(engine) as s:
        supersede(s, settings, case=s.get(Case, case.id), document=s.get(Document, document.id),
                  reason="金额有误", inputs=None, note=None, actor=s.get(User, officer.id))
    with Session(engine) as s:
        assert s.get(SigningRequest, rid).status == "voided"
        told = {p.name for p in s.exec(select(SigningParticipant).where(SigningParticipant.request_id == rid)).all()}
    sms = latest_sms(engine, kind="signing.closed", name="王晓明").body
    assert "已取消" in sms and "金额有误" in sms and len(sms) <= 134 and told


def _ca(name: str):
    import datetime as dt

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
            .sign(key, hashes.SHA256()))
    return cert, key


def _issued_by(ca_cert, ca_key):
    import datetime as dt

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "某银行股份有限公司"),
                                     x509.NameAttribute(NameOID.COMMON_NAME, "王晓明")]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .sign(ca_key, hashes.SHA256()))
    return cert, key


def test_an_institution_certificate_from_an_unknown_ca_is_refused_at_the_start(client, engine, auth, make_user,
                                                                            make_case, agreement_pdf):
    ca_cert, ca_key = _ca("Some Other CA")
    cert, _key = _issued_by(ca_cert, ca_key)
    officer = make_user("case_officer")
    mediator = make_user("mediator", phone="13902000001")
    case = make_case(officer=officer)
    walk_to_drafting(engine, case.id, mediator)
    document = insert_final_document(engine, case.id, agreement_pdf)
    bank = institution_party(engine, case.id)
    r = _open(client, auth, officer, case.id, document.id, {
        "party_id": bank.id, "name": "王晓明", "phone": REP_PHONE, "id_number": REP_ID, "mode": "external",
        "certificate_pem": cert.public_bytes(serialization.Encoding.PEM).decode()})
    assert r.status_code == 422 and r.json()["type"].endswith("institution-certificate-refused")
    assert "not a CA this center trusts" in r.json()["detail"] and "Some Other CA" in r.json()["detail"]
    with Session(engine) as s:
        assert s.exec(select(SigningRequest)).all() == []


def test_a_configured_outside_ca_signs_and_the_seal_still_closes_the_file(client, engine, auth, make_user,
                                                                        make_case, agreement_pdf, keystore,
                                                                        app, tmp_path):
    import asyncio
    import base64

    from mediation_svc.signing import pades

    ca_cert, ca_key = _ca("Outside Bank CA")
    cert, key = _issued_by(ca_cert, ca_key)
    anchors = tmp_path / "anchors.pem"
    anchors.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    app.state.settings.institution_trust_anchors_file = anchors
    try:
        world = open_world(client, engine, auth, make_user, make_case, agreement_pdf, rep_mode="external",
                           rep_cert_pem=cert.public_bytes(serialization.Encoding.PEM).decode())
        world.consumer().identify().prepare().confirm()
        rep = Signer(client, engine, "王晓明", id_last4=REP_ID[-4:]).identify()
        client.get("/api/v1/sign/session/document", headers=rep.headers)
        view = client.get("/api/v1/sign/session", headers=rep.headers).json()
        client.post("/api/v1/sign/session/consent", headers=rep.headers, json={"consent_text": view["consent_text"]})
        digest = bytes.fromhex(client.post("/api/v1/sign/session/external/prepare",
                                           headers=rep.headers).json()["document_digest_hex"])
        cms_der = asyncio.run(pades.key_signer(cert, key, (ca_cert,)).async_sign(digest, "sha256",
                                                                                 use_pades=True)).dump()
        r = client.post("/api/v1/sign/session/external/finish", headers=rep.headers,
                        json={"cms_b64": base64.b64encode(cms_der).decode()})
        assert r.status_code == 200, r.text
        Signer(client, engine, world.mediator.display_name, id_last4=None).identify_as_mediator(
            world.request_id, auth(world.mediator)).prepare().confirm()
        sealed = client.post(f"/api/v1/signing-requests/{world.request_id}/seal", headers=auth(world.officer))
        assert sealed.status_code == 200, sealed.text
        assert sealed.json()["request_status"] == "completed"
    finally:
        app.state.settings.institution_trust_anchors_file = None
