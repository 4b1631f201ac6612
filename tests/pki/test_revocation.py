"""CRLs and OCSP answers built from plain values, checked with openssl."""

from __future__ import annotations

import datetime as dt
import subprocess

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from mediation_svc.pki import hierarchy
from mediation_svc.pki.keystore import KeyStore
from mediation_svc.pki.revocation import CertStatus, OcspIssuer, build_crl, ocsp_respond

from ..conftest import TEST_PASSPHRASE

NOW = dt.datetime.now(dt.timezone.utc)


def test_crl_marks_revoked_certificate(keys_dir, tmp_path):
    store = KeyStore(keys_dir, TEST_PASSPHRASE.encode())
    seal, issuing = store.certificate(hierarchy.SEAL), store.certificate(hierarchy.ISSUING)
    chain = tmp_path / "chain.pem"
    chain.write_bytes((keys_dir / f"{hierarchy.ROOT}.crt.pem").read_bytes() + (keys_dir / f"{hierarchy.ISSUING}.crt.pem").read_bytes())
    root_crl = build_crl(issuer_cert=store.certificate(hierarchy.ROOT), issuer_key=store.private_key(hierarchy.ROOT),
                         revoked=[], now=NOW, validity=dt.timedelta(days=7))
    for revoked, expect_ok in (([], True), ([CertStatus(seal.serial_number, NOW, "key_compromise")], False)):
        crl = build_crl(issuer_cert=issuing, issuer_key=store.private_key(hierarchy.ISSUING), revoked=revoked,
                        now=NOW, validity=dt.timedelta(days=7))
        crl_file = tmp_path / "crl.pem"
        crl_file.write_bytes(crl.public_bytes(serialization.Encoding.PEM) + root_crl.public_bytes(serialization.Encoding.PEM))
        out = subprocess.run(["openssl", "verify", "-crl_check_all", "-CAfile", str(chain), "-CRLfile", str(crl_file),
                              str(keys_dir / f"{hierarchy.SEAL}.crt.pem")], capture_output=True, text=True)
        assert (out.returncode == 0) is expect_ok, out.stdout + out.stderr
        if not expect_ok:
            assert "certificate revoked" in out.stdout + out.stderr


def test_ocsp_good_revoked_unknown(keys_dir):
    store = KeyStore(keys_dir, TEST_PASSPHRASE.encode())
    seal, issuing = store.certificate(hierarchy.SEAL), store.certificate(hierarchy.ISSUING)
    issuers = [OcspIssuer(issuing, store.certificate(hierarchy.OCSP), store.private_key(hierarchy.OCSP))]
    request = ocsp.OCSPRequestBuilder().add_certificate(seal, issuing, hashes.SHA256()).build()
    der = request.public_bytes(serialization.Encoding.DER)
    answers = {"good": CertStatus(seal.serial_number), "revoked": CertStatus(seal.serial_number, NOW, "key_compromise"),
               "unknown": None}
    for expected, status in answers.items():
        response = ocsp_respond(der, issuers=issuers, lookup=lambda ca, serial, s=status: s, now=NOW,
                                validity=dt.timedelta(hours=1))
        assert response.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
        assert response.certificate_status.name.lower() == expected
        assert response.serial_number == seal.serial_number
    other_ca = [OcspIssuer(store.certificate(hierarchy.ROOT), store.certificate(hierarchy.ROOT),
                           store.private_key(hierarchy.ROOT))]
    response = ocsp_respond(der, issuers=other_ca, lookup=lambda ca, serial: None, now=NOW,
                            validity=dt.timedelta(hours=1))
    assert response.response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED
    assert ocsp_respond(b"junk", issuers=issuers, lookup=lambda ca, s: None, now=NOW,
                        validity=dt.timedelta(hours=1)).response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
