"""The service-signed 4-signature B-LTA agreement (``signed_lta``: three people, the seal, the document
timestamp; built once per session) checked by verifiers that share no code with the service or pyHanko:
endesive, ``openssl ts -verify`` on every RFC 3161 token, and poppler's pdfsig with the center's root
trusted. Each SignedData in the file carries each certificate once (endesive refuses two copies of the
signer's certificate: "Multiple signer certificates with the same serial").

endesive is imported through ``tests.verifiers.import_endesive`` (a documented workaround for oscrypto).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import subprocess

import pytest
from asn1crypto import cms, tsp
from pyhanko.pdf_utils.reader import PdfFileReader

from mediation_svc.pki import hierarchy
from mediation_svc.pki.seal import seal_signer
from mediation_svc.pki.tsa import TimeStampAuthority

from ..signing.conftest import pdfsig
from ..verifiers import import_endesive, repeated_certificates, timestamp_tokens


def test_every_signed_data_in_the_file_carries_each_certificate_once(signed_lta):
    reader = PdfFileReader(io.BytesIO(signed_lta))
    signatures = reader.embedded_regular_signatures
    tokens = timestamp_tokens(signed_lta)
    assert len(signatures) == 4 and len(tokens) == 5  # four signature timestamps, one document timestamp
    for sig in signatures:
        assert repeated_certificates(sig.signed_data) == [], sig.field_name
        assert len(sig.signed_data["certificates"]) >= 2  # the signer's and at least the issuing CA's
    for name, token, _digest in tokens:
        assert repeated_certificates(token["content"]) == [], name
        assert len(token["content"]["certificates"]) == 2, name  # the TSA's and the root


def test_the_seal_signer_and_the_tsa_put_each_certificate_in_once(keystore):
    """The seal as the signing flow loads it (pki.seal), and a token straight from the TSA."""
    seal = asyncio.run(seal_signer(keystore).async_sign_general_data(b"agreement", "sha256"))
    assert repeated_certificates(seal["content"]) == []
    assert len(seal["content"]["certificates"]) == 3  # seal, issuing CA, root
    stamper = TimeStampAuthority.from_keystore(keystore)
    request = tsp.TimeStampReq({"version": "v1", "cert_req": True, "message_imprint": {
        "hash_algorithm": {"algorithm": "sha256"}, "hashed_message": hashlib.sha256(b"x").digest()}})
    token = tsp.TimeStampResp.load(stamper.respond(request.dump()))["time_stamp_token"]
    assert repeated_certificates(token["content"]) == [] and len(token["content"]["certificates"]) == 2


@pytest.fixture(scope="module")
def endesive_pdf():
    return import_endesive()


def test_endesive_verifies_every_signature_and_the_document_timestamp(signed_lta, root_cert, endesive_pdf):
    from cryptography.hazmat.primitives.serialization import Encoding

    verifier = endesive_pdf.PDFVerifier(signed_lta, [root_cert.public_bytes(Encoding.PEM)])
    results = verifier.verify_all_signatures()
    assert len(results) == 5
    for result in results[:4]:
        assert (result.hashok, result.signatureok, result.certok) == (True, True, True)
        assert result.tspok is True, result.tspmsg  # the signature timestamp: its TSA chain and its imprint
    assert results[4].tspok is True and results[4].signed_data is None, results[4].tspmsg  # document timestamp
    assert verifier.whole_file  # the last revision (the document timestamp) covers the whole file


def test_endesive_rejects_a_changed_file(signed_lta, root_cert, endesive_pdf):
    from cryptography.hazmat.primitives.serialization import Encoding

    tampered = bytearray(signed_lta)
    tampered[tampered.index(b"/Producer") + 1] = ord("Q")  # inside the first revision, which all four sign
    results = endesive_pdf.PDFVerifier(bytes(tampered), [root_cert.public_bytes(Encoding.PEM)]) \
        .verify_all_signatures()
    assert not all(r.hashok for r in results[:4])


def openssl_ts_verify(token: cms.ContentInfo, digest: bytes, keys_dir, tmp_path) -> subprocess.CompletedProcess:
    """``openssl ts -verify`` with the published chain: the root as the only trust anchor, the TSA
    certificate as published at /pki (not taken from the token)."""
    path = tmp_path / "token.der"
    path.write_bytes(token.dump())
    return subprocess.run(["openssl", "ts", "-verify", "-token_in", "-in", str(path), "-digest", digest.hex(),
                           "-CAfile", str(keys_dir / f"{hierarchy.ROOT}.crt.pem"),
                           "-untrusted", str(keys_dir / f"{hierarchy.TSA}.crt.pem")],
                          capture_output=True, text=True)


def test_openssl_verifies_each_timestamp_token_against_the_published_chain(signed_lta, keys_dir, tmp_path):
    for name, token, digest in timestamp_tokens(signed_lta):
        out = openssl_ts_verify(token, digest, keys_dir, tmp_path)
        assert out.returncode == 0 and "Verification: OK" in out.stdout, (name, out.stdout + out.stderr)
        wrong = openssl_ts_verify(token, hashlib.sha256(digest).digest(), keys_dir, tmp_path)
        assert wrong.returncode != 0 and "Verification: OK" not in wrong.stdout, name


def test_pdfsig_with_the_root_trusted_accepts_every_signature(signed_lta, nss_db, tmp_path):
    path = tmp_path / "agreement.pdf"
    path.write_bytes(signed_lta)
    blocks = pdfsig(path, nss_db)
    assert len(blocks) == 5  # poppler 22.12 lists the document timestamp but does not verify it
    for block in blocks[:4]:
        assert "Signature Validation: Signature is Valid." in block, block
        # NSS builds the chain to the trusted root (vfychain: "Chain is good!"); poppler 22.12 then reports a
        # stale NSS error as "Unknown issue" (see tests/signing/test_pades.py): what must never show with
        # the root trusted is an unknown issuer, a revoked or an expired certificate
        assert "issuer is unknown" not in block and "Revoked" not in block and "Expired" not in block, block
    assert "Total document signed" in blocks[4] and "正和调解中心 TSA" in blocks[4]
