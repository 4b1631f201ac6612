"""Genuine and forged signed PDFs for the verification tests, built once per run with the test key store.

Genuine: a 4-signature B-LTA agreement (three people and the center's seal, as the signing flow makes it).
Forged: signed by a look-alike CA (same names, other keys), by a revoked certificate, and by a certificate
that had expired when the signature was timestamped; the last two carry revocation data in a DSS and a
document timestamp, so nothing but the fault itself stands between them and a pass.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from asn1crypto import crl as asn1_crl
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.validation.dss import DocumentSecurityStore

from mediation_svc.pki import hierarchy
from mediation_svc.pki.keystore import KeyStore, init_keys
from mediation_svc.pki.revocation import CertStatus, build_crl
from mediation_svc.pki.tsa import make_timestamper, to_asn1_cert
from mediation_svc.signing import pades

from ..signing.conftest import agreement_pdf, drawn_signature, keystore, nss_db  # noqa: F401 - shared fixtures

NOW = dt.datetime.now(dt.timezone.utc)
URLS = hierarchy.PkiUrls("http://127.0.0.1:8000")
SIGNERS = [("陈秀兰", "440***********1234", "申请人"), ("李志强", "110***********5678", "被申请人代理人"),
           ("王建国", None, "调解员")]


def credential(store: KeyStore, name="陈秀兰", masked="440***********1234", role="申请人", *, now=NOW,
               lifetime=dt.timedelta(hours=1)):
    return pades.issue_signer_certificate(
        identity=pades.SignerIdentity(name, masked, "粤正和调〔2026〕第0001号", role), evidence_sha256=b"\x07" * 32,
        issuing_cert=store.certificate(hierarchy.ISSUING), issuing_key=store.private_key(hierarchy.ISSUING),
        chain=(store.certificate(hierarchy.ROOT),), urls=URLS, now=now, lifetime=lifetime)


def crls(store: KeyStore, revoked=(), *, now: dt.datetime | None = None):
    """CRLs of both CAs issued now (after the signatures they speak for, as a verifier requires)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    root, issuing = store.certificate(hierarchy.ROOT), store.certificate(hierarchy.ISSUING)
    return [build_crl(issuer_cert=root, issuer_key=store.private_key(hierarchy.ROOT), revoked=[], now=now,
                      validity=dt.timedelta(days=7)),
            build_crl(issuer_cert=issuing, issuer_key=store.private_key(hierarchy.ISSUING), revoked=revoked,
                      now=now, validity=dt.timedelta(days=7))]


def context(store: KeyStore, *, now: dt.datetime | None = None, revoked=()):
    root, issuing = store.certificate(hierarchy.ROOT), store.certificate(hierarchy.ISSUING)
    return pades.validation_context(trust_roots=[root], other_certs=[issuing], crls=crls(store, revoked, now=now),
                                    moment=now)


def sign_one(store: KeyStore, pdf: bytes, cred, index: int = 0, role: str = "申请人", *, with_data=False) -> bytes:
    out = pades.sign(pdf, signer=cred.pyhanko_signer(), timestamper=make_timestamper(store),
                     field=pades.FieldPlacement(f"signer-{index}", -1, (40 + 130 * index, 60, 160 + 130 * index, 120)),
                     appearance_png=drawn_signature(index), reason=f"{role}签署",
                     validation_context=(lambda: context(store)) if with_data else None)
    cred.destroy()
    return out


def signed_agreement(store: KeyStore, pdf: bytes) -> bytes:
    """Three people and the seal, then the B-LTA close: what the signing flow produces."""
    for i, (name, masked, role) in enumerate(SIGNERS):
        now = dt.datetime.now(dt.timezone.utc)
        pdf = sign_one(store, pdf, credential(store, name, masked, role, now=now), i, role, with_data=True)
    seal = pades.key_signer(store.certificate(hierarchy.SEAL), store.private_key(hierarchy.SEAL),
                            (store.certificate(hierarchy.ISSUING), store.certificate(hierarchy.ROOT)))
    pdf = pades.sign(pdf, signer=seal, timestamper=make_timestamper(store),
                     field=pades.FieldPlacement("seal", -1, (440, 60, 560, 180)), appearance_png=None,
                     reason="调解组织盖章", validation_context=lambda: context(store))
    return pades.close_lta(pdf, timestamper=make_timestamper(store), context=context(store))


def with_dss_and_timestamp(store: KeyStore, pdf: bytes, revocation_lists, extra_certs=()) -> bytes:
    """Put the chain and the given CRLs in a DSS, then a document timestamp: B-LTA shape without the
    validation that close_lta would do (it refuses revoked or expired signers, rightly)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    certs = [store.certificate(n) for n in (hierarchy.ISSUING, hierarchy.TSA)] + list(extra_certs)
    DocumentSecurityStore.supply_dss_in_writer(
        writer, None, certs=[to_asn1_cert(c) for c in certs],
        crls=[asn1_crl.CertificateList.load(c.public_bytes(Encoding.DER)) for c in revocation_lists])
    out = io.BytesIO()
    writer.write(out)
    stamped = signers.PdfTimeStamper(make_timestamper(store)).timestamp_pdf(
        IncrementalPdfFileWriter(io.BytesIO(out.getvalue()), strict=False), "sha256")
    return stamped.getvalue()


@pytest.fixture(scope="session")
def signed_lta(agreement_pdf, keystore) -> bytes:  # noqa: F811
    return signed_agreement(keystore, agreement_pdf)


@pytest.fixture(scope="session")
def lookalike_signed(agreement_pdf, tmp_path_factory) -> bytes:  # noqa: F811
    """Signed and closed by a hierarchy with exactly the center's names but its own keys."""
    other = KeyStore(tmp_path_factory.mktemp("lookalike-keys"), b"look-alike")
    init_keys(other)
    pdf = sign_one(other, agreement_pdf, credential(other))
    return pades.close_lta(pdf, timestamper=make_timestamper(other), context=context(other))


@pytest.fixture(scope="session")
def revoked_signed(agreement_pdf, keystore) -> bytes:  # noqa: F811
    cred = credential(keystore)
    serial = cred.cert.serial_number
    pdf = sign_one(keystore, agreement_pdf, cred)
    revoked = [CertStatus(serial, NOW - dt.timedelta(seconds=30), "key_compromise")]
    return with_dss_and_timestamp(keystore, pdf, crls(keystore, revoked))


@pytest.fixture(scope="session")
def expired_signed(agreement_pdf, keystore) -> bytes:  # noqa: F811
    """The certificate ran out two hours before the signature's timestamp."""
    cred = credential(keystore, now=NOW - dt.timedelta(hours=3))
    pdf = sign_one(keystore, agreement_pdf, cred)
    return with_dss_and_timestamp(keystore, pdf, crls(keystore))


@pytest.fixture(scope="session")
def root_cert(keystore):  # noqa: F811
    return keystore.certificate(hierarchy.ROOT)
