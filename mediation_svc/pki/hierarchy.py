"""The center's certificate hierarchy (RFC 5280 profiles), made once by ``mediation-svc keys init``.

    ca-root            self-signed root of trust (P-384, 40 years)
    ├── ca-issuing     issues the short-lived signer certificates and the delegated OCSP responder (30 years)
    │   ├── seal       the center's organisation seal (电子公章)
    │   ├── report-signing  the verification service, which signs its reports (PAdES and JWS, one key)
    │   └── ocsp       delegated OCSP responder (EKU OCSPSigning, id-pkix-ocsp-nocheck)
    └── tsa            RFC 3161 time-stamping unit (critical EKU timeStamping only)

Every private key is stored encrypted by the KeyStore; nothing is recreated when it already exists.

The lifetimes follow the validity plan in docs/validity.md: the CA certificates outlive the archive horizon
(25 years) so that a signature stays verifiable as long as its archive timestamps are renewed, even by
verifiers whose past validation of an expired CA certificate is incomplete (pyHanko's, today).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

ROOT = "ca-root"
ISSUING = "ca-issuing"
TSA = "tsa"
SEAL = "seal"
SEAL_HSM = "seal-hsm"  # certificate only: the seal key generated inside an HSM (pki.seal)
OCSP = "ocsp"
REPORT = "report-signing"  # = keystore.REPORT_SIGNING_KEY; its certificate is made here

ORGANISATION = "广东正和银行保险消费纠纷调解中心"  # X.520 ub-name: 64 bytes in UTF-8
COUNTRY = "CN"


ROOT_DAYS = 365 * 40
ISSUING_DAYS = 365 * 30
TSA_DAYS = 365 * 10
SEAL_DAYS = 365 * 3
OCSP_DAYS = 365 * 2
REPORT_DAYS = 365 * 5
REPORT_SIGNER_NAME = "正和调解中心 电子签名验证服务"  # the subject's CN: who signs a verification report

# Key-store names of the CAs and the short names they are published under (/pki/root.crt, /pki/issuing.crl).
PUBLISHED_CAS = {"root": "ca-root", "issuing": "ca-issuing"}


def published_name(ca: str) -> str:
    """``ca-issuing`` -> ``issuing`` (a published short name passes through)."""
    return {v: k for k, v in PUBLISHED_CAS.items()}.get(ca, ca)


@dataclass(frozen=True)
class PkiUrls:
    """Where relying parties fetch CA certificates, CRLs and OCSP (written into the certificates);
    served by ``pki.routes`` under ``MEDIATION_PUBLIC_BASE_URL``."""

    base: str

    def ca_cert(self, name: str) -> str:
        return f"{self.base}/pki/{published_name(name)}.crt"

    def crl(self, name: str) -> str:
        return f"{self.base}/pki/{published_name(name)}.crl"

    @property
    def ocsp(self) -> str:
        return f"{self.base}/pki/ocsp"


def _urls() -> PkiUrls:
    from ..config import get_settings

    return PkiUrls(get_settings().public_base_url.rstrip("/"))


def name(common_name: str, *, unit: str | None = None, extra: Sequence[x509.NameAttribute] = ()) -> x509.Name:
    """A name of the center: C=CN, O=the center, an optional OU, ``extra``, then CN=``common_name``."""
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, COUNTRY),
             x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION)]
    if unit:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    attrs.extend(extra)
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attrs)


def random_serial() -> int:
    """A new certificate serial number (RFC 5280 §4.1.2.2: positive, at most 20 octets)."""
    # 127 bits from a UUID4-quality source: positive, unique, unpredictable (CA/B BR 7.1).
    return uuid.uuid4().int >> 1


def revocation_pointers(builder: x509.CertificateBuilder, urls: PkiUrls, issuer_name: str,
                        *, ocsp: bool) -> x509.CertificateBuilder:
    """Add the issuer's CRL distribution point and Authority Information Access (its certificate,
    and first the OCSP responder with ``ocsp``) at the URLs of ``urls`` (RFC 5280 §4.2.1.13, §4.2.2.1)."""
    builder = builder.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
        full_name=[x509.UniformResourceIdentifier(urls.crl(issuer_name))], relative_name=None,
        reasons=None, crl_issuer=None)]), critical=False)
    access = [x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                     x509.UniformResourceIdentifier(urls.ca_cert(issuer_name)))]
    if ocsp:
        access.insert(0, x509.AccessDescription(AuthorityInformationAccessOID.OCSP,
                                                x509.UniformResourceIdentifier(urls.ocsp)))
    return builder.add_extension(x509.AuthorityInformationAccess(access), critical=False)


def _base(subject: x509.Name, issuer: x509.Name, public_key, issuer_key, *, days: int,
          now: dt.datetime) -> x509.CertificateBuilder:
    return (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(random_serial())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                           critical=False))


def _key_usage(*, digital_signature=False, content_commitment=False, key_cert_sign=False,
               crl_sign=False) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=digital_signature, content_commitment=content_commitment,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=key_cert_sign, crl_sign=crl_sign, encipher_only=False,
                         decipher_only=False)


def make_root(key, now: dt.datetime) -> x509.Certificate:
    """The self-signed root: CA with path length 1 (keyCertSign, cRLSign), 40 years, signed with SHA-384."""
    subject = name("正和调解中心 Root CA")
    builder = (_base(subject, subject, key.public_key(), key, days=ROOT_DAYS, now=now)
               .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
               .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True))
    return builder.sign(key, hashes.SHA384())


def make_issuing(key, root_cert, root_key, urls: PkiUrls, now: dt.datetime) -> x509.Certificate:
    """The issuing CA under the root: path length 0, 30 years, with the root's CRL and certificate URLs."""
    builder = (_base(name("正和调解中心 Issuing CA"), root_cert.subject, key.public_key(),
                     root_key, days=ISSUING_DAYS, now=now)
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True))
    return revocation_pointers(builder, urls, ROOT, ocsp=False).sign(root_key, hashes.SHA384())


def make_tsa(key, root_cert, root_key, urls: PkiUrls, now: dt.datetime, *,
             days: int = TSA_DAYS) -> x509.Certificate:
    """The time-stamping unit's certificate from the root (10 years unless ``days``): an end entity with
    the single critical EKU timeStamping (RFC 3161 §2.3) and the root's CRL and certificate URLs."""
    builder = (_base(name("正和调解中心 TSA", unit="Time-Stamping Unit"), root_cert.subject,
                     key.public_key(), root_key, days=days, now=now)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
               # RFC 3161 §2.3: the TSA certificate has exactly one EKU, timeStamping, marked critical.
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True))
    return revocation_pointers(builder, urls, ROOT, ocsp=False).sign(root_key, hashes.SHA384())


def make_seal(public_key, issuing_cert, issuing_key, urls: PkiUrls, now: dt.datetime) -> x509.Certificate:
    """The seal certificate for a public key: the key may be in the key store or inside an HSM."""
    builder = (_base(name(ORGANISATION, unit="电子印章 Organisation Seal"), issuing_cert.subject,
                     public_key, issuing_key, days=SEAL_DAYS, now=now)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True))
    return revocation_pointers(builder, urls, ISSUING, ocsp=True).sign(issuing_key, hashes.SHA256())


def make_report_signer(public_key, issuing_cert, issuing_key, urls: PkiUrls, now: dt.datetime) -> x509.Certificate:
    """The verification service's certificate for the existing ``report-signing`` key (which also signs the
    JWS reports, so that a report's two forms come from one published key): an end-entity signing profile,
    digitalSignature and nonRepudiation, no EKU (a PAdES signature needs none)."""
    builder = (_base(name(REPORT_SIGNER_NAME, unit="验证报告"), issuing_cert.subject, public_key, issuing_key,
                     days=REPORT_DAYS, now=now)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True))
    return revocation_pointers(builder, urls, ISSUING, ocsp=True).sign(issuing_key, hashes.SHA256())


def make_ocsp_responder(key, issuing_cert, issuing_key, now: dt.datetime) -> x509.Certificate:
    """The delegated OCSP responder under the issuing CA (2 years): critical EKU OCSPSigning and
    id-pkix-ocsp-nocheck (RFC 6960), no revocation pointers of its own."""
    builder = (_base(name("正和调解中心 OCSP Responder"), issuing_cert.subject, key.public_key(),
                     issuing_key, days=OCSP_DAYS, now=now)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(_key_usage(digital_signature=True), critical=True)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=True)
               # RFC 6960 §4.2.2.2.1: relying parties need not check the responder's own status.
               .add_extension(x509.OCSPNoCheck(), critical=False))
    return builder.sign(issuing_key, hashes.SHA256())


def ensure_hierarchy(keystore, *, file_seal: bool = True, urls: PkiUrls | None = None) -> list[str]:
    """Create whatever part of the hierarchy is missing; returns the names created (idempotent).

    ``file_seal=False`` when the seal key lives in an HSM (``pki.seal``): no seal key file is made."""
    created: list[str] = []
    now = dt.datetime.now(dt.timezone.utc)
    urls = urls or _urls()

    def ensure(name_: str, curve, make) -> None:
        if keystore.has_key(name_) and keystore.cert_path(name_).exists():
            return
        key = ec.generate_private_key(curve)
        cert = make(key)
        keystore.save_private_key(name_, key)
        keystore.save_certificate(name_, cert)
        created.append(name_)

    ensure(ROOT, ec.SECP384R1(), lambda key: make_root(key, now))
    root_cert, root_key = keystore.certificate(ROOT), keystore.private_key(ROOT)
    ensure(ISSUING, ec.SECP256R1(), lambda key: make_issuing(key, root_cert, root_key, urls, now))
    ensure(TSA, ec.SECP256R1(), lambda key: make_tsa(key, root_cert, root_key, urls, now))
    issuing_cert, issuing_key = keystore.certificate(ISSUING), keystore.private_key(ISSUING)
    if file_seal:
        ensure(SEAL, ec.SECP256R1(),
               lambda key: make_seal(key.public_key(), issuing_cert, issuing_key, urls, now))
    ensure(OCSP, ec.SECP256R1(), lambda key: make_ocsp_responder(key, issuing_cert, issuing_key, now))
    if not keystore.cert_path(REPORT).exists():
        # The key may predate its certificate (it signed JWS reports before the PDF report was signed):
        # keep it, certify it; a key directory made before this gets the certificate on the next keys init.
        key = keystore.ensure_ec_key(REPORT)
        keystore.save_certificate(REPORT, make_report_signer(key.public_key(), issuing_cert, issuing_key, urls, now))
        created.append(f"{REPORT} certificate")
    return created


def renew_tsa(keystore, *, urls: PkiUrls | None = None, now: dt.datetime | None = None) -> x509.Certificate:
    """A new time-stamping key and certificate from the root, for when the current one nears its end.

    The old certificate stays as ``tsa-retired-<serial>.crt.pem`` (tokens already issued keep verifying with
    the copy they carry); the old key is deleted, since no token may be signed with it any more. Running
    services pick the new key up on restart."""
    now = now or dt.datetime.now(dt.timezone.utc)
    old = keystore.certificate(TSA)
    root_cert, root_key = keystore.certificate(ROOT), keystore.private_key(ROOT)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = make_tsa(key, root_cert, root_key, urls or _urls(), now)
    keystore.save_certificate(f"tsa-retired-{old.serial_number:x}", old)
    keystore.save_private_key(TSA, key)
    keystore.save_certificate(TSA, cert)
    return cert
