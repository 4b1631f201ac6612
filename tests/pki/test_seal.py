"""The center's seal: from the key file by default, or generated inside a PKCS#11 token (SoftHSM2)."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil

import pytest

from mediation_svc.pki import hierarchy
from mediation_svc.pki.keystore import KeyStore
from mediation_svc.pki.revocation import build_crl
from mediation_svc.pki.seal import SealUnavailable, close_hsm_sessions, generate_seal_in_hsm, seal_signer
from mediation_svc.pki.settings import PkiSettings
from mediation_svc.pki.tsa import make_timestamper
from mediation_svc.signing import pades

from ..conftest import TEST_PASSPHRASE

NOW = dt.datetime.now(dt.timezone.utc)
URLS = hierarchy.PkiUrls("http://testserver")


@pytest.fixture(scope="module")
def store(keys_dir, tmp_path_factory) -> KeyStore:
    # a copy: the HSM seal certificate written here must not leak into the shared test key directory
    directory = tmp_path_factory.mktemp("seal-keys")
    shutil.copytree(keys_dir, directory, dirs_exist_ok=True)
    return KeyStore(directory, TEST_PASSPHRASE.encode())


def hsm_settings(softhsm, **overrides) -> PkiSettings:
    values = dict(seal_pkcs11_module=softhsm["module"], seal_pkcs11_token_label=softhsm["token"],
                  seal_pkcs11_pin_file=softhsm["pin_file"], seal_pkcs11_key_label="seal-2026")
    values.update(overrides)
    return PkiSettings(_env_file=None, **values)


def seal_and_validate(pdf: bytes, store: KeyStore, signer) -> list[pades.SignatureCheck]:
    stamper = make_timestamper(store)
    sealed = pades.sign(pdf, signer=signer, timestamper=stamper,
                        field=pades.FieldPlacement("seal", -1, (400, 60, 540, 180)), appearance_png=None,
                        reason="调解组织盖章")
    root, issuing = store.certificate(hierarchy.ROOT), store.certificate(hierarchy.ISSUING)
    crls = [build_crl(issuer_cert=ca, issuer_key=store.private_key(name), revoked=[], now=dt.datetime.now(dt.UTC),
                      validity=dt.timedelta(days=1))
            for ca, name in ((root, hierarchy.ROOT), (issuing, hierarchy.ISSUING))]
    context = pades.validation_context(trust_roots=[root], other_certs=[issuing], crls=crls)
    closed = pades.close_lta(sealed, timestamper=stamper, context=context)
    return pades.validate_lta(closed, trust_roots=[root])


@pytest.fixture(scope="module")
def hsm_seal(softhsm, store):
    settings = hsm_settings(softhsm)
    cert = generate_seal_in_hsm(store, settings, urls=URLS)
    yield settings, cert
    close_hsm_sessions()


def test_file_seal_is_the_default(plain_pdf, store):
    signer = seal_signer(store, PkiSettings(_env_file=None))
    assert signer.signing_cert.dump() == pades.to_asn1_cert(store.certificate(hierarchy.SEAL)).dump()
    checks = seal_and_validate(plain_pdf, store, signer)
    assert [(c.field_name, c.indication, c.trusted) for c in checks] == [("seal", "PASSED", True)]


def test_hsm_sealed_pdf_validates_against_the_root(plain_pdf, store, hsm_seal):
    settings, cert = hsm_seal
    signer = seal_signer(store, settings)
    # the token's certificate, not the key-file seal, and certified by our issuing CA
    assert signer.signing_cert.dump() == pades.to_asn1_cert(cert).dump()
    assert cert.issuer == store.certificate(hierarchy.ISSUING).subject
    assert cert.serial_number != store.certificate(hierarchy.SEAL).serial_number
    assert store.certificate(hierarchy.SEAL_HSM) == cert
    checks = seal_and_validate(plain_pdf, store, signer)
    assert [(c.field_name, c.indication, c.intact, c.trusted) for c in checks] == [("seal", "PASSED", True, True)]
    assert "电子印章" in checks[0].signer
    # each certificate once in the seal's SignedData (independent verifiers refuse a repeated signer's one)
    signed = asyncio.run(signer.async_sign_general_data(b"agreement", "sha256"))["content"]
    assert sorted(c.chosen.subject.human_friendly for c in signed["certificates"]) == sorted(
        {c.subject.human_friendly for c in (pades.to_asn1_cert(x) for x in (
            cert, store.certificate(hierarchy.ISSUING), store.certificate(hierarchy.ROOT)))})


def test_hsm_key_is_sensitive_and_never_extractable(softhsm, hsm_seal):
    from pkcs11 import Attribute, ObjectClass

    from mediation_svc.pki.seal import open_token

    settings, _cert = hsm_seal
    with open_token(settings) as session:
        (key,) = session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: "seal-2026"})
        assert key[Attribute.SENSITIVE] and not key[Attribute.EXTRACTABLE] and key[Attribute.NEVER_EXTRACTABLE]
        assert key[Attribute.LOCAL]  # generated on the token, never imported


def test_second_generation_with_the_same_label_is_refused(store, softhsm, hsm_seal):
    settings, _cert = hsm_seal
    with pytest.raises(SealUnavailable, match="already holds a key"):
        generate_seal_in_hsm(store, settings, urls=URLS)


def test_clear_errors_for_wrong_pin_token_and_label(store, softhsm, hsm_seal, tmp_path):
    wrong = tmp_path / "wrong.pin"
    wrong.write_text("0000-wrong")
    close_hsm_sessions()  # a PKCS#11 login lasts while any session of the process is open
    with pytest.raises(SealUnavailable, match="PIN .* refused"):
        seal_signer(store, hsm_settings(softhsm, seal_pkcs11_pin_file=wrong))
    with pytest.raises(SealUnavailable, match="no PKCS#11 token labelled 'nope'"):
        seal_signer(store, hsm_settings(softhsm, seal_pkcs11_token_label="nope"))
    with pytest.raises(SealUnavailable, match="module not found"):
        seal_signer(store, hsm_settings(softhsm, seal_pkcs11_module=tmp_path / "missing.so"))
    with pytest.raises(SealUnavailable, match="'no-such-key' not usable"):
        seal_signer(store, hsm_settings(softhsm, seal_pkcs11_key_label="no-such-key"))


def test_cli_generates_the_seal_in_the_hsm_and_records_it(softhsm, store, database_url, db, monkeypatch):
    from sqlmodel import select
    from typer.testing import CliRunner

    from mediation_svc import cli
    from mediation_svc.audit.models import AuditEntry
    from mediation_svc.config import get_settings
    from mediation_svc.pki.models import IssuedCertificate

    for name, value in {"DATABASE_URL": database_url, "KEY_DIR": str(store.directory),
                        "KEY_PASSPHRASE": TEST_PASSPHRASE, "SEAL_PKCS11_MODULE": str(softhsm["module"]),
                        "SEAL_PKCS11_TOKEN_LABEL": softhsm["token"], "SEAL_PKCS11_PIN_FILE": str(softhsm["pin_file"]),
                        "SEAL_PKCS11_KEY_LABEL": "seal-cli"}.items():
        monkeypatch.setenv(f"MEDIATION_{name}", value)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, ["keys", "generate-seal-in-hsm"])
        again = CliRunner().invoke(cli.app, ["keys", "generate-seal-in-hsm"])
    finally:
        get_settings.cache_clear()
        close_hsm_sessions()
    assert result.exit_code == 0, result.output
    serial = f"{store.certificate(hierarchy.SEAL_HSM).serial_number:x}"
    assert serial in result.output
    assert again.exit_code == 1 and "already holds a key" in again.output
    row = db.exec(select(IssuedCertificate).where(IssuedCertificate.serial_hex == serial)).one()
    assert (row.purpose, row.issuer, row.revoked_at) == ("seal", hierarchy.ISSUING, None)
    audit = db.exec(select(AuditEntry).where(AuditEntry.action == "pki.seal_key_generated_in_hsm")).one()
    assert audit.subject == f"certificate:{serial}"


def test_a_dead_hsm_session_is_a_clear_error_and_the_next_seal_reopens(plain_pdf, store, hsm_seal):
    settings, _cert = hsm_seal
    signer = seal_signer(store, settings)
    close_hsm_sessions()  # what a token restart does to the session the signer holds
    with pytest.raises(SealUnavailable, match="HSM refused to sign") as info:
        seal_and_validate(plain_pdf, store, signer)
    assert info.value.status == 503 and info.value.slug == "seal-unavailable"
    checks = seal_and_validate(plain_pdf, store, seal_signer(store, settings))
    assert [c.indication for c in checks] == ["PASSED"]
