"""The public signing endpoints cannot be used to keep the CA and TSA keys busy: the CRL is signed again
only when something changed (or after a minute), and TSA and OCSP requests are limited per address."""

from __future__ import annotations

from mediation_svc.pki import routes
from mediation_svc.pki.keystore import KeyStore

from ..conftest import TEST_PASSPHRASE


def test_the_crl_is_reused_until_a_revocation_changes_it(client, engine, keys_dir):
    first, second = client.get("/pki/issuing.crl").content, client.get("/pki/issuing.crl").content
    assert first == second  # the same signed CRL, not a new signature per request
    from mediation_svc.db import unit_of_work
    from mediation_svc.pki import hierarchy, service

    store = KeyStore(keys_dir, TEST_PASSPHRASE.encode())
    with unit_of_work(engine) as session:
        service.revoke(session, store, serial=store.certificate(hierarchy.SEAL).serial_number, reason="superseded",
                       actor="cli:test")
    from cryptography import x509

    after = x509.load_der_x509_crl(client.get("/pki/issuing.crl").content)
    assert after.get_revoked_certificate_by_serial_number(store.certificate(hierarchy.SEAL).serial_number)


def test_tsa_and_ocsp_requests_are_limited_per_address(client, monkeypatch):
    monkeypatch.setattr(routes, "PUBLIC_SIGNING_PER_MINUTE", 3)
    statuses = [client.post("/tsa", content=b"junk", headers={"Content-Type": "application/timestamp-query"}).status_code
                for _ in range(4)]
    assert statuses[:3] == [200] * 3 and statuses[3] == 429
    limited = client.post("/tsa", content=b"junk", headers={"Content-Type": "application/timestamp-query"})
    assert limited.headers["content-type"].startswith("application/problem+json") and limited.headers["Retry-After"]
    ocsp = [client.post("/pki/ocsp", content=b"junk", headers={"Content-Type": "application/ocsp-request"}).status_code
            for _ in range(4)]
    assert ocsp == [200, 200, 200, 429]
