"""Publication at /pki: CA certificates, CRLs from the database, the OCSP responder, and revocation by staff.

Checked with the openssl CLI (crl -verify, verify -crl_check, ocsp -url against a live uvicorn server) and
with pyHanko fetching revocation data from our endpoints through the URLs written in the certificates.
"""

from __future__ import annotations

import base64
import datetime as dt
import subprocess
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from sqlmodel import select

from mediation_svc.audit.models import AuditEntry
from mediation_svc.pki import hierarchy, service
from mediation_svc.pki.keystore import KeyStore

from ..conftest import TEST_PASSPHRASE
from .conftest import live_server


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True)


@pytest.fixture(scope="module")
def store(keys_dir) -> KeyStore:
    return KeyStore(keys_dir, TEST_PASSPHRASE.encode())


def pem(keys_dir, name: str) -> str:
    return str(keys_dir / f"{name}.crt.pem")


def test_ca_certificates_are_published_der_and_pem(client, store):
    for short, name in (("root", hierarchy.ROOT), ("issuing", hierarchy.ISSUING)):
        der = client.get(f"/pki/{short}.crt")
        assert der.status_code == 200 and der.headers["content-type"] == "application/pkix-cert"
        assert x509.load_der_x509_certificate(der.content) == store.certificate(name)
        text = client.get(f"/pki/{short}.pem")
        assert text.content.startswith(b"-----BEGIN CERTIFICATE-----")
        assert x509.load_pem_x509_certificate(text.content) == store.certificate(name)
    missing = client.get("/pki/tsa.crt")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"


def test_certificates_point_at_the_published_urls(tmp_path):
    store = KeyStore(tmp_path, b"p")
    from mediation_svc.pki.keystore import init_keys

    init_keys(store, urls=hierarchy.PkiUrls("https://mediation.example.cn"))
    seal = store.certificate(hierarchy.SEAL)
    points = seal.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert points[0].full_name[0].value == "https://mediation.example.cn/pki/issuing.crl"
    access = {a.access_method: a.access_location.value
              for a in seal.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value}
    assert access[x509.AuthorityInformationAccessOID.OCSP] == "https://mediation.example.cn/pki/ocsp"
    assert access[x509.AuthorityInformationAccessOID.CA_ISSUERS] == "https://mediation.example.cn/pki/issuing.crt"
    tsa_points = store.certificate(hierarchy.TSA).extensions.get_extension_for_class(x509.CRLDistributionPoints)
    assert tsa_points.value[0].full_name[0].value == "https://mediation.example.cn/pki/root.crl"


def test_crl_verifies_and_lists_a_revoked_certificate(client, engine, store, keys_dir, make_user, auth, db, tmp_path):
    chain = tmp_path / "chain.pem"
    chain.write_text(open(pem(keys_dir, hierarchy.ROOT)).read() + open(pem(keys_dir, hierarchy.ISSUING)).read())

    def fetch_crls() -> tuple[x509.CertificateRevocationList, str]:
        pems = ""
        crls = {}
        for short in ("root", "issuing"):
            res = client.get(f"/pki/{short}.crl")
            assert res.status_code == 200 and res.headers["content-type"] == "application/pkix-crl"
            path = tmp_path / f"{short}.crl"
            path.write_bytes(res.content)
            out = run("openssl", "crl", "-inform", "DER", "-in", str(path), "-CAfile", str(chain), "-noout",
                      "-verify")
            assert "verify OK" in out.stdout + out.stderr, out.stderr
            crls[short] = x509.load_der_x509_crl(res.content)
            pems += crls[short].public_bytes(serialization.Encoding.PEM).decode()
        (tmp_path / "crls.pem").write_text(pems)
        return crls["issuing"], str(tmp_path / "crls.pem")

    def verify_seal(crl_file: str) -> subprocess.CompletedProcess:
        return run("openssl", "verify", "-crl_check_all", "-CAfile", str(chain), "-CRLfile", crl_file,
                   pem(keys_dir, hierarchy.SEAL))

    crl, crl_file = fetch_crls()
    seal = store.certificate(hierarchy.SEAL)
    assert crl.get_revoked_certificate_by_serial_number(seal.serial_number) is None
    assert verify_seal(crl_file).returncode == 0

    # The seal is the center's own: never from the API, whoever asks; from the command line, audited.
    admin = make_user("admin", password="admin-password-2026")
    url = f"/api/v1/pki/certificates/{seal.serial_number:x}/revoke"
    body = {"reason": "key_compromise", "note": "测试：印章密钥泄露", "password": "admin-password-2026"}
    refused = client.post(url, json=body, headers=auth(admin))
    assert refused.status_code == 403, refused.text
    assert refused.json()["type"] == "urn:mediation-svc:problem:certificate-managed-offline"
    from mediation_svc.db import unit_of_work

    with unit_of_work(engine) as session:
        service.revoke(session, store, serial=seal.serial_number, reason="key_compromise", note="CLI test",
                       actor="cli:test")
    again = client.post(url, json=body, headers=auth(admin))
    assert again.status_code == 403  # still the center's: the API does not even say it is revoked

    crl, crl_file = fetch_crls()
    entry = crl.get_revoked_certificate_by_serial_number(seal.serial_number)
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == x509.ReasonFlags.key_compromise
    out = verify_seal(crl_file)
    assert out.returncode != 0 and "certificate revoked" in out.stdout + out.stderr
    listed = client.get("/api/v1/pki/certificates?revoked=true", headers=auth(make_user("case_officer"))).json()
    assert [c["serial_hex"] for c in listed] == [f"{seal.serial_number:x}"]
    audit = db.exec(select(AuditEntry).where(AuditEntry.action == "pki.certificate_revoked")).all()
    assert [(a.subject, a.actor) for a in audit] == [(f"certificate:{seal.serial_number:x}", "cli:test")]


def issue_signer_certificate(engine, settings, store, case_id=None):
    from mediation_svc.db import unit_of_work
    from mediation_svc.signing import credentials, pades

    identity = pades.SignerIdentity(name="陈秀兰", masked_id="4401**********1235", case_number="测试〔2026〕第0001号",
                                    role="申请人")
    with unit_of_work(engine) as session:
        return credentials.issue_for(session, settings, store, identity=identity, evidence_sha256=b"\0" * 32,
                                     case_id=case_id).cert


@pytest.mark.parametrize("center_cert", [hierarchy.ISSUING, hierarchy.TSA, hierarchy.OCSP, hierarchy.SEAL])
def test_the_centers_own_certificates_cannot_be_revoked_through_the_api(client, store, make_user, auth, db,
                                                                        center_cert):
    admin = make_user("admin", password="admin-password-2026")
    serial = store.certificate(center_cert).serial_number
    res = client.post(f"/api/v1/pki/certificates/{serial:x}/revoke", headers=auth(admin),
                      json={"reason": "key_compromise", "note": "不应被接受", "password": "admin-password-2026"})
    assert res.status_code == 403 and res.json()["type"].endswith("certificate-managed-offline")
    crl = x509.load_der_x509_crl(client.get("/pki/issuing.crl").content)
    assert crl.get_revoked_certificate_by_serial_number(serial) is None
    assert not db.exec(select(AuditEntry).where(AuditEntry.action == "pki.certificate_revoked")).all()


def test_a_signer_certificate_is_revoked_by_an_admin_with_a_reason_and_the_password(
        client, engine, settings, store, make_user, auth, db):
    cert = issue_signer_certificate(engine, settings, store)
    url = f"/api/v1/pki/certificates/{cert.serial_number:x}/revoke"
    officer, admin = make_user("case_officer"), make_user("admin", password="admin-password-2026")
    body = {"reason": "key_compromise", "note": "签署人手机遗失", "password": "admin-password-2026"}
    assert client.post(url, json=body, headers=auth(officer)).status_code == 403  # admins only
    assert client.post(url, json={**body, "reason": "because"}, headers=auth(admin)).status_code == 422
    assert client.post(url, json={k: v for k, v in body.items() if k != "note"},
                       headers=auth(admin)).status_code == 422
    wrong = client.post(url, json={**body, "password": "not-the-password"}, headers=auth(admin))
    assert wrong.status_code == 403 and wrong.json()["type"].endswith("reauthentication-failed")
    assert x509.load_der_x509_crl(client.get("/pki/issuing.crl").content).get_revoked_certificate_by_serial_number(
        cert.serial_number) is None
    res = client.post(url, json=body, headers=auth(admin))
    assert res.status_code == 200, res.text
    assert res.json()["revocation_reason"] == "key_compromise" and res.json()["purpose"] == "signer"
    again = client.post(url, json=body, headers=auth(admin))
    assert again.status_code == 409 and again.json()["type"].endswith("certificate-already-revoked")
    assert client.post("/api/v1/pki/certificates/abc123/revoke", json=body, headers=auth(admin)).status_code == 404
    entry = x509.load_der_x509_crl(client.get("/pki/issuing.crl").content).get_revoked_certificate_by_serial_number(
        cert.serial_number)
    assert entry is not None
    audit = db.exec(select(AuditEntry).where(AuditEntry.action == "pki.certificate_revoked")).one()
    assert "签署人手机遗失" in audit.payload and audit.actor.startswith(f"user:{admin.id}:")


def test_keys_revoke_on_the_command_line_is_audited(settings, store, db, monkeypatch):
    from typer.testing import CliRunner

    from mediation_svc import config
    from mediation_svc.cli import app

    for name, value in (("MEDIATION_DATABASE_URL", settings.database_url), ("MEDIATION_KEY_DIR", str(settings.key_dir)),
                        ("MEDIATION_KEY_PASSPHRASE", TEST_PASSPHRASE)):
        monkeypatch.setenv(name, value)
    config.get_settings.cache_clear()
    tsa = store.certificate(hierarchy.TSA).serial_number
    runner = CliRunner()
    unconfirmed = runner.invoke(app, ["keys", "revoke", f"{tsa:x}", "--reason", "superseded", "--note", "renewed"])
    assert unconfirmed.exit_code == 2
    done = runner.invoke(app, ["keys", "revoke", f"{tsa:x}", "--reason", "superseded", "--note", "renewed", "--yes"])
    config.get_settings.cache_clear()
    assert done.exit_code == 0, done.output
    audit = db.exec(select(AuditEntry).where(AuditEntry.action == "pki.certificate_revoked")).one()
    assert audit.subject == f"certificate:{tsa:x}" and audit.actor.startswith("cli:")


def ocsp_status(out: subprocess.CompletedProcess, cert_label: str) -> str:
    text = out.stdout + out.stderr
    assert "Response verify OK" in text, text
    line = next(line for line in text.splitlines() if line.startswith(cert_label + ":"))
    return line.split(":", 1)[1].strip()


def test_openssl_ocsp_against_the_live_responder(app, engine, store, keys_dir, tmp_path):
    chain = tmp_path / "chain.pem"
    chain.write_text(open(pem(keys_dir, hierarchy.ROOT)).read() + open(pem(keys_dir, hierarchy.ISSUING)).read())
    seal, tsa = pem(keys_dir, hierarchy.SEAL), pem(keys_dir, hierarchy.TSA)
    with live_server(app) as base:
        def ask(issuer: str, *target: str) -> subprocess.CompletedProcess:
            return run("openssl", "ocsp", "-issuer", issuer, *target, "-url", f"{base}/pki/ocsp",
                       "-CAfile", str(chain), "-nonce")

        assert ocsp_status(ask(pem(keys_dir, hierarchy.ISSUING), "-cert", seal), seal) == "good"
        # the root answers for what it issued (the TSA certificate) with its own key
        assert ocsp_status(ask(pem(keys_dir, hierarchy.ROOT), "-cert", tsa), tsa) == "good"
        assert ocsp_status(ask(pem(keys_dir, hierarchy.ISSUING), "-serial", "0x1234abcd"), "0x1234abcd") == "unknown"

        from mediation_svc.db import unit_of_work

        with unit_of_work(engine) as session:
            service.revoke(session, store, serial=store.certificate(hierarchy.SEAL).serial_number,
                           reason="superseded", actor="test")
        status = ocsp_status(ask(pem(keys_dir, hierarchy.ISSUING), "-cert", seal), seal)
        assert status == "revoked"


def test_ocsp_get_and_malformed_requests(client, store):
    seal, issuing = store.certificate(hierarchy.SEAL), store.certificate(hierarchy.ISSUING)
    request = ocsp.OCSPRequestBuilder().add_certificate(seal, issuing, hashes.SHA1()).build()
    encoded = quote(base64.b64encode(request.public_bytes(serialization.Encoding.DER)).decode(), safe="")
    res = client.get(f"/pki/ocsp/{encoded}")
    assert res.status_code == 200 and res.headers["content-type"] == "application/ocsp-response"
    answer = ocsp.load_der_ocsp_response(res.content)
    assert answer.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert answer.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert answer.serial_number == seal.serial_number
    assert answer.this_update_utc <= dt.datetime.now(dt.timezone.utc) < answer.next_update_utc
    # signed by the delegated responder, which the issuing CA certified
    responder = answer.certificates[0]
    assert responder == store.certificate(hierarchy.OCSP)
    bad = ocsp.load_der_ocsp_response(client.get("/pki/ocsp/not-base64!").content)
    assert bad.response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    posted = client.post("/pki/ocsp", content=b"junk", headers={"Content-Type": "application/ocsp-request"})
    assert ocsp.load_der_ocsp_response(posted.content).response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    assert client.post("/pki/ocsp", content=b"junk", headers={"Content-Type": "text/plain"}).status_code == 415
