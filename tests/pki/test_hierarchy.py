"""The CA hierarchy made by keys init: profiles, chain, encryption at rest, idempotence."""

from __future__ import annotations

import subprocess

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from mediation_svc.pki import hierarchy
from mediation_svc.pki.keystore import KeyStore, init_keys


def test_init_creates_hierarchy_once(tmp_path):
    store = KeyStore(tmp_path, b"pass-1")
    created = init_keys(store)
    assert set(created) >= {hierarchy.ROOT, hierarchy.ISSUING, hierarchy.TSA, hierarchy.SEAL, hierarchy.OCSP}
    # the JWS keys (tokens, reports, manifests, audit tree heads) are bare keys, without a certificate
    before = {n: store.certificate(n).serial_number for n in created if store.cert_path(n).exists()}
    assert set(before) >= {hierarchy.ROOT, hierarchy.ISSUING, hierarchy.TSA, hierarchy.SEAL, hierarchy.OCSP}
    assert init_keys(KeyStore(tmp_path, b"pass-1")) == []
    assert {n: store.certificate(n).serial_number for n in before} == before
    for key_file in tmp_path.glob("*.key.pem"):
        assert b"ENCRYPTED PRIVATE KEY" in key_file.read_bytes()


def test_tsa_certificate_profile(keys_dir):
    store = KeyStore(keys_dir, b"unused")
    tsa = store.certificate(hierarchy.TSA)
    eku = tsa.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical and list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    assert tsa.issuer == store.certificate(hierarchy.ROOT).subject


def test_chain_verifies_with_openssl(keys_dir):
    root = keys_dir / f"{hierarchy.ROOT}.crt.pem"
    issuing = keys_dir / f"{hierarchy.ISSUING}.crt.pem"
    for leaf, untrusted in ((hierarchy.TSA, None), (hierarchy.SEAL, issuing), (hierarchy.OCSP, issuing),
                            (hierarchy.ISSUING, None)):
        cmd = ["openssl", "verify", "-CAfile", str(root)]
        if untrusted:
            cmd += ["-untrusted", str(untrusted)]
        out = subprocess.run(cmd + [str(keys_dir / f"{leaf}.crt.pem")], capture_output=True, text=True)
        assert out.returncode == 0, out.stdout + out.stderr


def test_renew_tsa_replaces_key_and_keeps_the_old_certificate(tmp_path):
    store = KeyStore(tmp_path, b"pass-2")
    init_keys(store, urls=hierarchy.PkiUrls("http://testserver"))
    old_cert, old_key = store.certificate(hierarchy.TSA), store.private_key(hierarchy.TSA)
    new_cert = hierarchy.renew_tsa(KeyStore(tmp_path, b"pass-2"), urls=hierarchy.PkiUrls("http://testserver"))
    fresh = KeyStore(tmp_path, b"pass-2")
    assert fresh.certificate(hierarchy.TSA) == new_cert and new_cert.serial_number != old_cert.serial_number
    assert fresh.private_key(hierarchy.TSA).public_key().public_numbers() != old_key.public_key().public_numbers()
    assert fresh.certificate(f"tsa-retired-{old_cert.serial_number:x}") == old_cert
    eku = new_cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical and list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    out = subprocess.run(["openssl", "verify", "-CAfile", str(tmp_path / f"{hierarchy.ROOT}.crt.pem"),
                          str(tmp_path / f"{hierarchy.TSA}.crt.pem")], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
