"""Certificate status kept in the database, and what the CRLs (RFC 5280) and OCSP (RFC 6960) publish.

Used by other domains:
- ``record_certificate(session, cert, issuer=, purpose=, case_id=)``: call it for every certificate a CA of
  ours issues (signer certificates above all), in the same transaction, so that OCSP answers "good" for it.
  Serials are stored as lowercase hex without leading zeros (``serial_hex``).
- ``revoke(session, serial=, reason=, actor=)``: audited; the next CRL and OCSP answer report it.

Certificates made by ``keys init`` (issuing CA, TSA, seal, OCSP responder, the report signer) and the HSM seal are known
from the key directory even before any row exists; revoking one writes its row then.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

from cryptography import x509
from sqlmodel import Session, col, select

from ..audit.chain import record
from ..db import utcnow
from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from . import hierarchy
from .models import IssuedCertificate
from .revocation import REASONS, CertStatus, OcspIssuer, build_crl, ocsp_respond
from .settings import PkiSettings

# Certificates the key directory holds (beside the CA roots themselves), with their purpose.
KEYSTORE_CERTIFICATES = {hierarchy.ISSUING: "ca", hierarchy.TSA: "tsa", hierarchy.SEAL: "seal",
                         hierarchy.SEAL_HSM: "seal", hierarchy.OCSP: "ocsp", hierarchy.REPORT: "report"}
CAS = (hierarchy.ROOT, hierarchy.ISSUING)


class AlreadyRevoked(Conflict):
    slug, title = "certificate-already-revoked", "This certificate is already revoked"


class ManagedOffline(Forbidden):
    slug, title = "certificate-managed-offline", "The center's own certificates are managed from the command line"


# What an admin may revoke through the API: the one-time certificates issued to signers (people, and the
# representatives who sign for institutions). The CAs, the TSA, the OCSP responder and the seal carry every
# signature the center ever made; revoking one is `mediation-svc keys revoke` on the server, audited.
REVOCABLE_ONLINE = frozenset({"signer", "institution"})


def serial_hex(serial: int) -> str:
    return format(serial, "x")


def _parse_serial(serial: str | int) -> int:
    if isinstance(serial, int):
        return serial
    text = serial.strip().lower().removeprefix("0x").replace(":", "")
    try:
        return int(text, 16)
    except ValueError:
        raise InvalidInput("serial must be hexadecimal",
                           errors=[{"loc": ["serial"], "msg": "not hex"}]) from None


def _ca_name_of(keystore, cert: x509.Certificate) -> str:
    for name in CAS:
        if cert.issuer == keystore.certificate(name).subject:
            return name
    raise ValueError(f"{cert.subject.rfc4514_string()} was not issued by one of our CAs")


def _row_for(cert: x509.Certificate, *, issuer: str, purpose: str, case_id: int | None) -> IssuedCertificate:
    return IssuedCertificate(serial_hex=serial_hex(cert.serial_number), issuer=issuer,
                             subject=cert.subject.rfc4514_string()[:500], purpose=purpose,
                             not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc,
                             case_id=case_id)


def record_certificate(session: Session, cert: x509.Certificate, *, issuer: str, purpose: str,
                       case_id: int | None = None) -> IssuedCertificate:
    """Remember a certificate one of our CAs issued (``issuer``: ``ca-issuing`` or ``ca-root``)."""
    row = _row_for(cert, issuer=issuer, purpose=purpose, case_id=case_id)
    session.add(row)
    session.flush()
    return row


def keystore_certificates(keystore) -> dict[int, tuple[str, str, x509.Certificate]]:
    """serial -> (key-store name, issuing CA name, certificate) for the certificates in the key directory."""
    found = {}
    for name, _purpose in KEYSTORE_CERTIFICATES.items():
        if keystore.cert_path(name).exists():
            cert = keystore.certificate(name)
            found[cert.serial_number] = (name, _ca_name_of(keystore, cert), cert)
    return found


def _row(session: Session, serial: int) -> IssuedCertificate | None:
    query = select(IssuedCertificate).where(IssuedCertificate.serial_hex == serial_hex(serial))
    return session.exec(query).first()


def revoke_online(session: Session, keystore, *, serial: str | int, reason: str, note: str,
                  actor: str) -> IssuedCertificate:
    """Revoke a signer's certificate from the API; the center's own certificates are refused (403)."""
    number = _parse_serial(serial)
    row = _row(session, number)
    if row is None and number in keystore_certificates(keystore) or row is not None and \
            row.purpose not in REVOCABLE_ONLINE:
        raise ManagedOffline("this is one of the center's own certificates (CA, TSA, OCSP or seal); revoke it on "
                             "the server with `mediation-svc keys revoke`")
    return revoke(session, keystore, serial=number, reason=reason, actor=actor, note=note)


def revoke(session: Session, keystore, *, serial: str | int, reason: str, actor: str,
           note: str | None = None) -> IssuedCertificate:
    """Revoke any certificate we issued; audited. 404 for a serial we never issued, 409 if already revoked.
    Only the CLI and ``revoke_online`` call it."""
    if reason not in REASONS or reason == "remove_from_crl":
        raise InvalidInput(f"unknown revocation reason {reason!r}",
                           errors=[{"loc": ["reason"], "msg": f"one of {', '.join(sorted(REASONS))}"}])
    number = _parse_serial(serial)
    row = _row(session, number)
    if row is None:
        known = keystore_certificates(keystore).get(number)
        if known is None:
            raise NotFound(f"no certificate with serial {serial_hex(number)} was issued here")
        name, ca, cert = known
        row = record_certificate(session, cert, issuer=ca, purpose=KEYSTORE_CERTIFICATES[name])
    if row.revoked_at is not None:
        raise AlreadyRevoked(f"certificate {row.serial_hex} was revoked at {row.revoked_at.isoformat()}")
    row.revoked_at = utcnow()
    row.revocation_reason = reason
    session.add(row)
    session.flush()
    record(session, actor=actor, action="pki.certificate_revoked", subject=f"certificate:{row.serial_hex}",
           case_id=row.case_id, payload={"serial": row.serial_hex, "issuer": row.issuer,
                                         "subject": row.subject, "purpose": row.purpose, "reason": reason,
                                         "note": note})
    return row


def list_certificates(session: Session, *, revoked: bool | None = None, case_id: int | None = None,
                      limit: int = 100, offset: int = 0) -> list[IssuedCertificate]:
    query = select(IssuedCertificate)
    if revoked is not None:
        query = query.where(col(IssuedCertificate.revoked_at).is_not(None) if revoked
                            else col(IssuedCertificate.revoked_at).is_(None))
    if case_id is not None:
        query = query.where(IssuedCertificate.case_id == case_id)
    return list(session.exec(query.order_by(col(IssuedCertificate.id)).offset(offset).limit(limit)))


def _status(row: IssuedCertificate) -> CertStatus:
    return CertStatus(int(row.serial_hex, 16), row.revoked_at, row.revocation_reason)


def status_of(session: Session, keystore, *, ca_name: str, serial: int) -> CertStatus | None:
    """What the CA knows about a serial: None when it never issued it (OCSP "unknown")."""
    row = _row(session, serial)
    if row is not None:
        return _status(row) if row.issuer == ca_name else None
    known = keystore_certificates(keystore).get(serial)
    return CertStatus(serial) if known is not None and known[1] == ca_name else None


def _revoked_statuses(session: Session, ca_name: str) -> list[CertStatus]:
    revoked = col(IssuedCertificate.revoked_at).is_not(None)
    rows = session.exec(select(IssuedCertificate).where(IssuedCertificate.issuer == ca_name, revoked))
    return sorted((_status(r) for r in rows), key=lambda s: s.serial)


def current_crl(session: Session, keystore, pki: PkiSettings, *, ca_name: str,
                now: dt.datetime | None = None) -> x509.CertificateRevocationList:
    """A freshly signed CRL for one of our CAs, from the revocations in the database (signing needs one
    issued after the signature it validates)."""
    return build_crl(issuer_cert=keystore.certificate(ca_name), issuer_key=keystore.private_key(ca_name),
                     revoked=_revoked_statuses(session, ca_name), now=_now(now),
                     validity=dt.timedelta(days=pki.crl_validity_days))


def published_crl(session: Session, keystore, pki: PkiSettings, *, ca_name: str,
                  now: dt.datetime | None = None) -> x509.CertificateRevocationList:
    """The CRL served at /pki/*.crl: signed again only when the revocations changed or the last one is older
    than ``CRL_REUSE``. Anyone may fetch it, and signing with the CA key (decrypted from the key store) on
    every request would let a client keep the CA busy."""
    statuses = _revoked_statuses(session, ca_name)
    now = _now(now)
    key = (str(keystore.directory), ca_name, tuple(statuses))
    with _crl_lock:
        cached = _crl_cache.get(key)
        if cached is not None and dt.timedelta(0) <= now - cached[0] < CRL_REUSE:
            return cached[1]
    crl = build_crl(issuer_cert=keystore.certificate(ca_name), issuer_key=keystore.private_key(ca_name),
                    revoked=statuses, now=now, validity=dt.timedelta(days=pki.crl_validity_days))
    with _crl_lock:
        for stale in [k for k in _crl_cache if k[:2] == key[:2]]:  # one CRL per CA is kept
            del _crl_cache[stale]
        _crl_cache[key] = (now, crl)
    return crl


CRL_REUSE = dt.timedelta(seconds=60)
_crl_cache: dict[tuple, tuple[dt.datetime, x509.CertificateRevocationList]] = {}
_crl_lock = threading.Lock()


@dataclass(frozen=True)
class _Issuer:
    name: str
    ocsp: OcspIssuer


def ocsp_issuers(keystore) -> list[_Issuer]:
    """The issuing CA answers through its delegated responder; the root answers for itself."""
    root_cert, issuing_cert = keystore.certificate(hierarchy.ROOT), keystore.certificate(hierarchy.ISSUING)
    return [_Issuer(hierarchy.ISSUING, OcspIssuer(issuing_cert, keystore.certificate(hierarchy.OCSP),
                                                  keystore.private_key(hierarchy.OCSP))),
            _Issuer(hierarchy.ROOT, OcspIssuer(root_cert, root_cert, keystore.private_key(hierarchy.ROOT)))]


def answer_ocsp(session: Session, keystore, pki: PkiSettings, request_der: bytes,
                now: dt.datetime | None = None) -> bytes:
    """DER OCSPRequest in, DER OCSPResponse out (malformed or foreign requests: an unsuccessful status)."""
    from cryptography.hazmat.primitives.serialization import Encoding

    issuers = ocsp_issuers(keystore)
    by_cert = {id(i.ocsp.ca_cert): i.name for i in issuers}

    def lookup(ca_cert: x509.Certificate, serial: int) -> CertStatus | None:
        return status_of(session, keystore, ca_name=by_cert[id(ca_cert)], serial=serial)

    response = ocsp_respond(request_der, issuers=[i.ocsp for i in issuers], lookup=lookup, now=_now(now),
                            validity=dt.timedelta(hours=pki.ocsp_validity_hours))
    return response.public_bytes(Encoding.DER)


def _now(now: dt.datetime | None) -> dt.datetime:
    # whole seconds: CRL and OCSP times are GeneralizedTime/UTCTime without fractions
    return (now or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)
