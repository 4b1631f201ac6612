"""Against a live server (uvicorn in a thread): our /tsa used as an external RFC 3161 TSA with basic auth,
and pyHanko validating a signature by fetching OCSP answers, CRLs and CA certificates from /pki."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import io
import subprocess

import pytest
from asn1crypto import cms
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend
from pyhanko_certvalidator.fetchers.api import OwnedFetcherBackend

from mediation_svc.config import Settings
from mediation_svc.db import unit_of_work
from mediation_svc.pki import hierarchy, service
from mediation_svc.pki.keystore import KeyStore, init_keys
from mediation_svc.pki.revocation import build_crl
from mediation_svc.pki.settings import PkiSettings
from mediation_svc.pki.tsa import TsaUnavailable, make_timestamper, timestamper_from_settings, to_asn1_cert
from mediation_svc.signing import pades

from ..conftest import TEST_PASSPHRASE
from .conftest import free_port, live_server

NOW = dt.datetime.now(dt.timezone.utc)
TSA_USER, TSA_PASSWORD = "center-signing", "tsa-secret-7f3a"


def credential(store: KeyStore, urls: hierarchy.PkiUrls) -> pades.SignerCredential:
    return pades.issue_signer_certificate(
        identity=pades.SignerIdentity("陈秀兰", "440***********1234", "粤正和调〔2026〕第0001号", "申请人"),
        evidence_sha256=hashlib.sha256(b"evidence").digest(), issuing_cert=store.certificate(hierarchy.ISSUING),
        issuing_key=store.private_key(hierarchy.ISSUING), chain=(store.certificate(hierarchy.ROOT),), urls=urls,
        now=NOW, lifetime=dt.timedelta(hours=1))


def sign(pdf: bytes, cred: pades.SignerCredential, stamper) -> bytes:
    return pades.sign(pdf, signer=cred.pyhanko_signer(), timestamper=stamper,
                      field=pades.FieldPlacement("signer-0", -1, (40, 60, 200, 120)), appearance_png=None,
                      reason="申请人签署")


def basic_auth_required(app):
    """The "external" TSA: our app behind HTTP basic auth, as a commercial TSA would be."""
    expected = b"Basic " + base64.b64encode(f"{TSA_USER}:{TSA_PASSWORD}".encode())

    async def guarded(scope, receive, send):
        if scope["type"] == "http" and dict(scope["headers"]).get(b"authorization") != expected:
            await send({"type": "http.response.start", "status": 401,
                        "headers": [(b"www-authenticate", b'Basic realm="tsa"'), (b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
            return
        await app(scope, receive, send)

    return guarded


def test_signing_through_an_external_tsa_with_basic_auth(app, keys_dir, plain_pdf, tmp_path):
    store = KeyStore(keys_dir, TEST_PASSPHRASE.encode())
    password_file = tmp_path / "tsa.secret"
    password_file.write_text(TSA_PASSWORD + "\n")
    with live_server(basic_auth_required(app)) as base:
        pki = PkiSettings(_env_file=None, tsa_url=f"{base}/tsa", tsa_username=TSA_USER,
                          tsa_password_file=password_file, tsa_timeout_seconds=5)
        stamper = timestamper_from_settings(store, pki)
        signed = sign(plain_pdf, credential(store, hierarchy.PkiUrls(base)), stamper)

        wrong = timestamper_from_settings(store, PkiSettings(_env_file=None, tsa_url=f"{base}/tsa",
                                                             tsa_username=TSA_USER, tsa_password="wrong"))
        with pytest.raises(TsaUnavailable) as refused:
            sign(plain_pdf, credential(store, hierarchy.PkiUrls(base)), wrong)
    assert "401" in str(refused.value) and f"{base}/tsa" in str(refused.value)
    assert "wrong" not in str(refused.value)

    sig = PdfFileReader(io.BytesIO(signed)).embedded_regular_signatures[0]
    root, issuing = store.certificate(hierarchy.ROOT), store.certificate(hierarchy.ISSUING)
    crls = [build_crl(issuer_cert=ca, issuer_key=store.private_key(name), revoked=[], now=NOW,
                      validity=dt.timedelta(days=1)) for ca, name in ((root, hierarchy.ROOT),
                                                                      (issuing, hierarchy.ISSUING))]
    status = validate_pdf_signature(sig, pades.validation_context(trust_roots=[root], other_certs=[issuing],
                                                                   crls=crls))
    assert status.bottom_line and status.timestamp_validity is not None and status.timestamp_validity.trusted
    # the timestamp token came from the TSA over HTTP and verifies with openssl against our root
    attr = next(a for a in sig.signer_info["unsigned_attrs"] if a["type"].native == "signature_time_stamp_token")
    token_file = tmp_path / "token.der"
    token_file.write_bytes(attr["values"][0].dump())
    digest = hashlib.sha256(sig.signer_info["signature"].native).digest()
    out = subprocess.run(["openssl", "ts", "-verify", "-token_in", "-in", str(token_file), "-digest", digest.hex(),
                          "-CAfile", str(keys_dir / f"{hierarchy.ROOT}.crt.pem")], capture_output=True, text=True)
    assert "Verification: OK" in out.stdout, out.stdout + out.stderr


def test_unreachable_tsa_stops_signing_with_a_clear_error(keys_dir, plain_pdf):
    store = KeyStore(keys_dir, TEST_PASSPHRASE.encode())
    port = free_port()  # nothing listens there
    stamper = make_timestamper(store, url=f"http://user:pw@127.0.0.1:{port}/tsa", timeout=2)
    with pytest.raises(TsaUnavailable) as info:
        sign(plain_pdf, credential(store, hierarchy.PkiUrls("http://127.0.0.1")), stamper)
    message = str(info.value)
    assert f"http://127.0.0.1:{port}/tsa" in message and "unavailable" in message and "pw" not in message
    with pytest.raises(TsaUnavailable):
        asyncio.run(stamper.async_timestamp(hashlib.sha256(b"doc").digest(), "sha256"))


@pytest.fixture
def published(engine, database_url, tmp_path):
    """A hierarchy whose certificates point at a live server, and that server."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    store = KeyStore(tmp_path / "keys", TEST_PASSPHRASE.encode())
    init_keys(store, urls=hierarchy.PkiUrls(base))
    settings = Settings(database_url=database_url, key_dir=store.directory, key_passphrase=TEST_PASSPHRASE,
                        public_base_url=base, log_json=False, log_level="WARNING", password_hash_profile="cheapest",
                        _env_file=None)
    from mediation_svc.app import create_app

    with live_server(create_app(settings, engine), port=port) as url:
        yield store, url


def test_pyhanko_fetches_revocation_data_from_our_endpoints(published, engine, plain_pdf):
    store, base = published
    cred = credential(store, hierarchy.PkiUrls(base))
    with unit_of_work(engine) as session:
        service.record_certificate(session, cred.cert, issuer=hierarchy.ISSUING, purpose="signer", case_id=None)
    signed = sign(plain_pdf, cred, make_timestamper(store))
    root = to_asn1_cert(store.certificate(hierarchy.ROOT))

    def validate():
        sig = PdfFileReader(io.BytesIO(signed)).embedded_regular_signatures[0]
        # only the root is trusted; the status of each certificate comes from OCSP and the CRLs online.
        # pyHanko's default backend gives each fetch 10 s; the server here is a thread of this process and, on
        # a loaded 2-core CI machine, answered late once ("certificate untrusted" under hard-fail): a fetch that
        # is slow is not what this test is about, so it may take a minute.
        backend = OwnedFetcherBackend(AIOHttpFetcherBackend(per_request_timeout=60))
        context = ValidationContext(trust_roots=[root], allow_fetching=True, revocation_mode="hard-fail",
                                    fetcher_backend=backend)
        return validate_pdf_signature(sig, context), context

    status, context = validate()
    assert status.bottom_line and status.trusted and not status.revoked, status.pretty_print_details()
    assert context.ocsps and context.crls  # answers were fetched from /pki/ocsp and /pki/*.crl

    with unit_of_work(engine) as session:
        service.revoke(session, store, serial=cred.cert.serial_number, reason="key_compromise", actor="test")
    status, _ = validate()
    assert status.revoked and not status.bottom_line
