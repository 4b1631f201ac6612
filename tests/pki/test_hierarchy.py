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
    before = {n: store.certificate(n).serial_number for n in created if n != "token-signing"}
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
