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
    # the JWS keys (tokens, manifests, audit tree heads) are bare keys; the report key has a certificate too,
    # for the signed PDF report
    before = {n: store.certificate(n).serial_number for n in created if store.cert_path(n).exists()}
    assert set(before) == {hierarchy.ROOT, hierarchy.ISSUING, hierarchy.TSA, hierarchy.SEAL, hierarchy.OCSP,
                           hierarchy.REPORT}
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


def test_report_signer_certificate_profile(keys_dir):
    store = KeyStore(keys_dir, b"unused")
    cert = store.certificate(hierarchy.REPORT)
    assert cert.issuer == store.certificate(hierarchy.ISSUING).subject
    assert cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == hierarchy.REPORT_SIGNER_NAME
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    assert not usage.value.key_cert_sign and not usage.value.crl_sign
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    out = subprocess.run(["openssl", "verify", "-CAfile", str(keys_dir / f"{hierarchy.ROOT}.crt.pem"), "-untrusted",
                          str(keys_dir / f"{hierarchy.ISSUING}.crt.pem"), str(keys_dir / "report-signing.crt.pem")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_keys_init_certifies_an_existing_report_key_and_touches_nothing_else(tmp_path):
    """A key directory from before reports were signed: the report key has no certificate. The next keys init
    certifies that same key (JWS reports already issued keep verifying) and leaves every other file alone."""
    from mediation_svc.verification import attestation

    store = KeyStore(tmp_path, b"pass-3")
    init_keys(store)
    (tmp_path / "report-signing.crt.pem").unlink()
    kid = attestation.public_jwk(attestation.ensure_report_key(store))["kid"]
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    fresh = KeyStore(tmp_path, b"pass-3")
    assert init_keys(fresh) == ["report-signing certificate"]
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert set(after) - set(files) == {"report-signing.crt.pem"} and {n: after[n] for n in files} == files
    cert = fresh.certificate(hierarchy.REPORT)
    assert cert.public_key().public_numbers() == fresh.private_key(hierarchy.REPORT).public_key().public_numbers()
    assert attestation.public_jwk(attestation.ensure_report_key(fresh))["kid"] == kid
    assert init_keys(KeyStore(tmp_path, b"pass-3")) == []
