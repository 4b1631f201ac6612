"""Certificate status: X.509 CRLs (RFC 5280 §5) and OCSP responses (RFC 6960), built from plain values.

No database here: the service passes in what it knows about each certificate. The CRL number is the
issue time in milliseconds, so it only ever grows (RFC 5280 §5.2.3) without a counter to keep.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cryptography import x509
from asn1crypto import keys as asn1_keys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509 import ocsp

REASONS = {r.name: r for r in x509.ReasonFlags}


@dataclass(frozen=True)
class CertStatus:
    """What the issuer knows about one serial it issued."""

    serial: int
    revoked_at: dt.datetime | None = None
    reason: str | None = None  # an x509.ReasonFlags name, e.g. "key_compromise"

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


def build_crl(*, issuer_cert: x509.Certificate, issuer_key, revoked: Iterable[CertStatus],
              now: dt.datetime, validity: dt.timedelta) -> x509.CertificateRevocationList:
    builder = (x509.CertificateRevocationListBuilder()
               .issuer_name(issuer_cert.subject)
               .last_update(now)
               .next_update(now + validity)
               .add_extension(x509.CRLNumber(int(now.timestamp() * 1000)), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                              critical=False))
    for status in revoked:
        if status.revoked_at is None:
            raise ValueError(f"serial {status.serial:x} is not revoked and has no place on a CRL")
        entry = (x509.RevokedCertificateBuilder().serial_number(status.serial)
                 .revocation_date(status.revoked_at))
        if status.reason and status.reason in REASONS and status.reason != "unspecified":
            entry = entry.add_extension(x509.CRLReason(REASONS[status.reason]), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass(frozen=True)
class OcspIssuer:
    """One CA the responder answers for, and the key/certificate that signs those answers."""

    ca_cert: x509.Certificate
    responder_cert: x509.Certificate
    responder_key: CertificateIssuerPrivateKeyTypes

    def matches(self, request: ocsp.OCSPRequest) -> bool:
        own = _issuer_hashes(self.ca_cert, request.hash_algorithm)
        return (request.issuer_name_hash, request.issuer_key_hash) == own


def _issuer_hashes(ca_cert: x509.Certificate, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
    # OCSP CertID hashes: the DER issuer name, and the issuer key's BIT STRING contents.
    name_hash = hashes.Hash(type(algorithm)())
    name_hash.update(ca_cert.subject.public_bytes())
    spki = asn1_keys.PublicKeyInfo.load(ca_cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))
    key_hash = hashes.Hash(type(algorithm)())
    key_hash.update(spki["public_key"].contents[1:])  # skip the unused-bits octet
    return name_hash.finalize(), key_hash.finalize()


def ocsp_respond(request_der: bytes, *, issuers: list[OcspIssuer],
                 lookup: Callable[[x509.Certificate, int], CertStatus | None],
                 now: dt.datetime, validity: dt.timedelta) -> ocsp.OCSPResponse:
    """Answer one OCSP request: good, revoked (with time and reason) or unknown for serials never issued."""
    try:
        request = ocsp.load_der_ocsp_request(request_der)
    except ValueError:
        return ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
    issuer = next((i for i in issuers if i.matches(request)), None)
    if issuer is None:
        return ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
    status = lookup(issuer.ca_cert, request.serial_number)
    if status is None:
        cert_status, revoked_at, reason = ocsp.OCSPCertStatus.UNKNOWN, None, None
    elif status.revoked:
        cert_status, revoked_at = ocsp.OCSPCertStatus.REVOKED, status.revoked_at
        reason = REASONS.get(status.reason or "unspecified", x509.ReasonFlags.unspecified)
    else:
        cert_status, revoked_at, reason = ocsp.OCSPCertStatus.GOOD, None, None
    builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
        issuer_name_hash=request.issuer_name_hash, issuer_key_hash=request.issuer_key_hash,
        serial_number=request.serial_number, algorithm=request.hash_algorithm, cert_status=cert_status,
        this_update=now, next_update=now + validity, revocation_time=revoked_at, revocation_reason=reason)
    builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, issuer.responder_cert)
    if issuer.responder_cert != issuer.ca_cert:
        builder = builder.certificates([issuer.responder_cert])
    nonce = _nonce(request)
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.sign(issuer.responder_key, hashes.SHA256())


def _nonce(request: ocsp.OCSPRequest) -> bytes | None:
    try:
        return request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        return None
