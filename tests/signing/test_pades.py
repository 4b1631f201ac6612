"""PAdES signing end to end without the database: four signatures, B-LTA, and three independent checkers."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from asn1crypto import cms
from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader

from mediation_svc.pki import hierarchy
from mediation_svc.pki.revocation import CertStatus, build_crl
from mediation_svc.pki.tsa import make_timestamper
from mediation_svc.signing import pades

from .conftest import byte_range_digest, drawn_signature, openssl_ts_verify, pdfsig

URLS = hierarchy.PkiUrls("http://127.0.0.1:8000")
SIGNERS = [("陈秀兰", "440***********1234", "申请人"), ("李志强", "110***********5678", "被申请人代理人"),
           ("王建国", None, "调解员")]


def credential(keystore, name, masked, role, evidence=b"\x07" * 32):
    return pades.issue_signer_certificate(
        identity=pades.SignerIdentity(name, masked, "粤正和调〔2026〕第0001号", role), evidence_sha256=evidence,
        issuing_cert=keystore.certificate(hierarchy.ISSUING), issuing_key=keystore.private_key(hierarchy.ISSUING),
        chain=(keystore.certificate(hierarchy.ROOT),), urls=URLS, now=dt.datetime.now(dt.UTC),
        lifetime=dt.timedelta(hours=1))


def context(keystore, revoked=()):
    """CRLs issued now: after the signatures they speak for, as the signing service issues them."""
    now = dt.datetime.now(dt.UTC)
    root, issuing = keystore.certificate(hierarchy.ROOT), keystore.certificate(hierarchy.ISSUING)
    crls = [build_crl(issuer_cert=root, issuer_key=keystore.private_key(hierarchy.ROOT), revoked=[],
                      now=now, validity=dt.timedelta(days=7)),
            build_crl(issuer_cert=issuing, issuer_key=keystore.private_key(hierarchy.ISSUING), revoked=revoked,
                      now=now, validity=dt.timedelta(days=7))]
    return pades.validation_context(trust_roots=[root], other_certs=[issuing], crls=crls)


@pytest.fixture(scope="module")
def signed_lta(agreement_pdf, keystore):
    stamper = make_timestamper(keystore)
    pdf = agreement_pdf
    for i, (name, masked, role) in enumerate(SIGNERS):
        cred = credential(keystore, name, masked, role)
        pdf = pades.sign(pdf, signer=cred.pyhanko_signer(), timestamper=stamper,
                         field=pades.FieldPlacement(f"signer-{i}", -1, (40 + 130 * i, 60, 160 + 130 * i, 120)),
                         appearance_png=drawn_signature(i), reason=f"{role}签署",
                         validation_context=lambda: context(keystore))
        cred.destroy()
    seal = pades.key_signer(keystore.certificate(hierarchy.SEAL), keystore.private_key(hierarchy.SEAL),
                            (keystore.certificate(hierarchy.ISSUING), keystore.certificate(hierarchy.ROOT)))
    pdf = pades.sign(pdf, signer=seal, timestamper=stamper, field=pades.FieldPlacement("seal", -1, (440, 60, 560, 180)),
                     appearance_png=None, reason="调解组织盖章", validation_context=lambda: context(keystore))
    return pades.close_lta(pdf, timestamper=stamper, context=context(keystore))


def test_signer_certificate_carries_identity_and_evidence(keystore):
    cred = credential(keystore, "陈秀兰", "440***********1234", "申请人", evidence=hashlib.sha256(b"e").digest())
    subject = cred.cert.subject
    assert subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "陈秀兰"
    assert subject.get_attributes_for_oid(x509.NameOID.SERIAL_NUMBER)[0].value == "440***************"
    assert subject.get_attributes_for_oid(x509.NameOID.TITLE)[0].value == "申请人"
    assert "第0001号" in subject.get_attributes_for_oid(x509.NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value
    assert pades.evidence_digest_of(cred.cert) == hashlib.sha256(b"e").digest()
    assert not cred.cert.extensions.get_extension_for_oid(pades.EVIDENCE_DIGEST_OID).critical
    assert cred.cert.not_valid_after_utc - cred.cert.not_valid_before_utc <= dt.timedelta(hours=1, minutes=1)
    cred.destroy()
    with pytest.raises(pades.SigningFailed):
        cred.pyhanko_signer()


def test_lta_validates_with_pyhanko(signed_lta, keystore):
    checks = pades.validate_lta(signed_lta, trust_roots=[keystore.certificate(hierarchy.ROOT)])
    assert [c.field_name for c in checks] == ["signer-0", "signer-1", "signer-2", "seal"]
    for check in checks:
        assert (check.indication, check.intact, check.trusted) == ("PASSED", True, True), check
    reader = PdfFileReader(io.BytesIO(signed_lta))
    assert len(reader.embedded_timestamp_signatures) == 1
    assert "/DSS" in reader.root


def test_lta_does_not_validate_against_another_root(signed_lta, tmp_path):
    from mediation_svc.pki.keystore import KeyStore, init_keys

    other = KeyStore(tmp_path, b"other")
    init_keys(other)
    checks = pades.validate_lta(signed_lta, trust_roots=[other.certificate(hierarchy.ROOT)])
    assert all(c.indication != "PASSED" for c in checks)


def test_pdfsig_accepts_every_signature(signed_lta, nss_db, empty_nss_db, tmp_path):
    path = tmp_path / "agreement.pdf"
    path.write_bytes(signed_lta)
    blocks = pdfsig(path, nss_db)
    assert len(blocks) == 5  # four signatures and the document timestamp
    for block in blocks[:4]:
        assert "Signature Validation: Signature is Valid." in block
        # poppler 22.12 reads a stale NSS error after a successful path check, so a trusted chain can show
        # as "Unknown issue"; what must never appear with our root in the database is an unknown issuer.
        assert "issuer is unknown" not in block and "Revoked" not in block and "Expired" not in block
    assert "Total document signed" in blocks[-1]
    assert all("Not total document signed" in b for b in blocks[:-1])
    untrusted = pdfsig(path, empty_nss_db)
    assert all("Certificate Validation: Certificate issuer is" in b for b in untrusted[:4]), untrusted


def test_pdfsig_detects_tampering(signed_lta, nss_db, tmp_path):
    tampered = bytearray(signed_lta)
    index = tampered.index(b"/Producer")
    tampered[index + 1] = ord("Q")
    path = tmp_path / "tampered.pdf"
    path.write_bytes(bytes(tampered))
    blocks = pdfsig(path, nss_db)
    assert any("Signature is Valid." not in b for b in blocks[:4])


def test_every_timestamp_token_verifies_with_openssl(signed_lta, keys_dir, tmp_path):
    root = keys_dir / f"{hierarchy.ROOT}.crt.pem"
    reader = PdfFileReader(io.BytesIO(signed_lta))
    for sig in reader.embedded_regular_signatures:
        signer_info = sig.signer_info
        attr = next(a for a in signer_info["unsigned_attrs"] if a["type"].native == "signature_time_stamp_token")
        token = attr["values"][0]
        digest = hashlib.sha256(signer_info["signature"].native).digest()
        assert "Verification: OK" in openssl_ts_verify(token, digest, root, tmp_path)
        assert "Verification: OK" not in openssl_ts_verify(token, hashlib.sha256(b"x").digest(), root, tmp_path)
    for ts in reader.embedded_timestamp_signatures:
        token = cms.ContentInfo({"content_type": "signed_data", "content": ts.signed_data})
        out = openssl_ts_verify(token, byte_range_digest(signed_lta, ts), root, tmp_path)
        assert "Verification: OK" in out


def test_retimestamp_adds_a_second_document_timestamp(signed_lta, keystore):
    stamper = make_timestamper(keystore)
    renewed = pades.retimestamp(signed_lta, timestamper=stamper, context=context(keystore))
    reader = PdfFileReader(io.BytesIO(renewed))
    assert len(reader.embedded_timestamp_signatures) == 2
    assert pades.last_timestamp_expiry(renewed) == keystore.certificate(hierarchy.TSA).not_valid_after_utc
    checks = pades.validate_lta(renewed, trust_roots=[keystore.certificate(hierarchy.ROOT)])
    assert all(c.indication == "PASSED" for c in checks)


def test_revoked_signer_does_not_pass(agreement_pdf, keystore):
    stamper = make_timestamper(keystore)
    cred = credential(keystore, "陈秀兰", None, "申请人")
    pdf = pades.sign(agreement_pdf, signer=cred.pyhanko_signer(), timestamper=stamper,
                     field=pades.FieldPlacement("signer-0", -1, (40, 60, 160, 120)), appearance_png=None, reason="x")
    revoked = [CertStatus(cred.cert.serial_number, dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30), "key_compromise")]
    with pytest.raises(Exception) as info:
        pades.close_lta(pdf, timestamper=stamper, context=context(keystore, revoked))
    assert "revoked" in repr(info.value).lower()
