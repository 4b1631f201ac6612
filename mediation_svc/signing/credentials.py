"""The center's side of each signature: signer certificates, the seal signer, timestamps and LTV data.

- ``issue_for`` issues the short-lived signer certificate (RFC 5280, issuing CA) for one signing event
  and registers its serial, so that the CRL and OCSP responder can answer for it; ``issue_for_public_key``
  does the same for a key that was made in the signer's browser (the center never holds that key).
- ``seal_signer`` is the one place that decides where the seal key lives (see its docstring).
- ``lta_context`` is the closed-world validation context that ``pades.close_lta`` embeds in the DSS: our
  root, the issuing CA, and fresh CRLs (RFC 5280 §5) from both CAs built from ``pki_certificates``.
- ``timestamped`` turns a failing RFC 3161 authority into ``TimestampUnavailable``: signing never falls
  back to the server's clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from pathlib import Path

from cryptography import x509
from sqlmodel import Session

from ..coroutines import run_sync
from ..config import Settings
from ..db import utcnow
from ..errors import Conflict, InvalidInput, ServiceUnavailable
from ..pki import hierarchy
from ..pki.keystore import KeyStore
from ..pki import seal as pki_seal
from ..pki import service as pki_service
from ..pki.settings import get_pki_settings
from . import pades

T = TypeVar("T")


class TimestampUnavailable(ServiceUnavailable):
    slug, title = "timestamp-unavailable", "The timestamp authority cannot be reached"


class SealUnavailable(ServiceUnavailable):
    slug, title = "seal-unavailable", "The center's seal cannot sign right now"


def timestamped(action: Callable[[], T]) -> T:
    """Run a signing step that needs an RFC 3161 token; an unreachable TSA stops it with a 503."""
    from pyhanko.sign.timestamps import TimestampRequestError

    try:
        return action()
    except TimestampRequestError as exc:
        raise TimestampUnavailable("the timestamp authority did not answer; nothing was signed or stored. "
                                   "Try again later.", reason=str(exc)[:200]) from exc


class CertificateNotValid(Conflict):
    slug, title = "certificate-not-valid", "A certificate in the signing chain is revoked or not valid"


def validated(action: Callable[[], T]) -> T:
    """Run a step that validates certificate chains (sealing, closing to B-LTA): a revoked or invalid
    certificate (the issuing CA revoked with ``keys revoke``, say) stops it with a 409; nothing is stored."""
    from pyhanko.sign.general import SigningError
    from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError, ValidationError

    try:
        return action()
    except (PathValidationError, PathBuildingError, ValidationError, SigningError) as exc:
        revoked = "revoked" in repr(exc).lower()
        raise CertificateNotValid(
            ("a certificate in the chain is revoked" if revoked else "a certificate in the chain is not valid")
            + "; nothing was signed or stored. The center's keys must be renewed (mediation-svc keys init / "
            "renew-tsa / generate-seal-in-hsm) before sealing again.", reason=str(exc)[:300]) from exc


def issue_for(session: Session, settings: Settings, keystore: KeyStore, *, identity: pades.SignerIdentity,
              evidence_sha256: bytes, case_id: int) -> pades.SignerCredential:
    now = utcnow()
    credential = pades.issue_signer_certificate(
        identity=identity, evidence_sha256=evidence_sha256,
        issuing_cert=keystore.certificate(hierarchy.ISSUING), issuing_key=keystore.private_key(hierarchy.ISSUING),
        chain=(keystore.certificate(hierarchy.ROOT),), urls=hierarchy.PkiUrls(settings.public_base_url.rstrip("/")),
        now=now, lifetime=dt.timedelta(minutes=get_pki_settings().signer_cert_minutes))
    # registered with the issuing CA, so that its CRL and OCSP responder can answer for this serial
    pki_service.record_certificate(session, credential.cert, issuer=hierarchy.ISSUING, purpose="signer",
                                   case_id=case_id)
    return credential


def signer_chain(keystore: KeyStore) -> tuple:
    """The certificates a signer certificate chains to: the issuing CA, then the root."""
    return (keystore.certificate(hierarchy.ISSUING), keystore.certificate(hierarchy.ROOT))


def issue_for_public_key(session: Session, settings: Settings, keystore: KeyStore, *, public_key,
                         identity: pades.SignerIdentity, evidence_sha256: bytes, case_id: int):
    """The one-time certificate for a key made in the signer's browser (``remote_key``); returns it and its
    chain. Registered with the issuing CA like every signer certificate."""
    from . import remote_key

    cert = remote_key.issue_certificate(
        public_key=public_key, identity=identity, evidence_sha256=evidence_sha256,
        issuing_cert=keystore.certificate(hierarchy.ISSUING), issuing_key=keystore.private_key(hierarchy.ISSUING),
        urls=hierarchy.PkiUrls(settings.public_base_url.rstrip("/")), now=utcnow(),
        lifetime=dt.timedelta(minutes=get_pki_settings().signer_cert_minutes))
    pki_service.record_certificate(session, cert, issuer=hierarchy.ISSUING, purpose="signer", case_id=case_id)
    return cert, signer_chain(keystore)


def seal_signer(keystore: KeyStore, settings: Settings):
    """The pyHanko signer for the center's seal (电子公章): PKCS#11 HSM when configured, else the key file."""
    try:
        return pki_seal.seal_signer(keystore, settings)
    except pki_seal.SealUnavailable as exc:
        raise SealUnavailable(str(exc)) from exc


class InstitutionCertificateRefused(InvalidInput):
    slug, title = "institution-certificate-refused", "The institution's certificate cannot be validated"


def institution_anchors(settings: Settings) -> list:
    """The CAs an institution's own certificate may chain to besides the center's root (configured, PEM)."""
    path = settings.institution_trust_anchors_file
    if path is None:
        return []
    return x509.load_pem_x509_certificates(Path(path).read_bytes())


def check_institution_certificate(settings: Settings, keystore: KeyStore, cert_der: bytes) -> None:
    """Refuse, before the request opens, an institution certificate that does not validate (RFC 5280 path to
    the center's root or a configured anchor, valid now, usable for signatures): the seal step later has to
    put its whole chain in the DSS."""
    from pyhanko_certvalidator import CertificateValidator, ValidationContext
    from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError, ValidationError

    from ..pki.tsa import to_asn1_cert

    try:
        cert = x509.load_der_x509_certificate(cert_der)
    except ValueError:
        raise InstitutionCertificateRefused("the institution's certificate is not an X.509 certificate") from None
    roots = [keystore.certificate(hierarchy.ROOT), *institution_anchors(settings)]
    context = ValidationContext(trust_roots=[to_asn1_cert(c) for c in roots],
                                other_certs=[to_asn1_cert(keystore.certificate(hierarchy.ISSUING))],
                                allow_fetching=False, revocation_mode="soft-fail")
    validator = CertificateValidator(to_asn1_cert(cert), validation_context=context)
    try:
        run_sync(validator.async_validate_usage({"digital_signature"}))
    except PathBuildingError:
        raise InstitutionCertificateRefused(
            f"the certificate of {cert.subject.rfc4514_string()} is issued by {cert.issuer.rfc4514_string()}, "
            "which is not a CA this center trusts; ask the center's administrator to add that CA to "
            "MEDIATION_INSTITUTION_TRUST_ANCHORS_FILE, or sign with the center's certificate instead",
            issuer=cert.issuer.rfc4514_string()) from None
    except (PathValidationError, ValidationError) as exc:
        raise InstitutionCertificateRefused(f"the institution's certificate does not validate: {exc}") from None


def lta_context(session: Session, keystore: KeyStore, settings: Settings | None = None):
    """The validation context of the B-LTA close: our CAs with our fresh CRLs, hard-fail; an institution CA
    from the configured anchors brings no revocation data we could vouch for, so with one on file the context
    is soft-fail for it (its chain still goes into the DSS) instead of making the seal step fail."""
    pki = get_pki_settings()
    root, issuing = keystore.certificate(hierarchy.ROOT), keystore.certificate(hierarchy.ISSUING)
    crls = [pki_service.current_crl(session, keystore, pki, ca_name=name) for name in (hierarchy.ROOT, hierarchy.ISSUING)]
    anchors = institution_anchors(settings) if settings is not None else []
    if not anchors:
        return pades.validation_context(trust_roots=[root], other_certs=[issuing], crls=crls)
    from cryptography.hazmat.primitives.serialization import Encoding
    from pyhanko_certvalidator import ValidationContext

    from ..pki.tsa import to_asn1_cert

    return ValidationContext(trust_roots=[to_asn1_cert(c) for c in (root, *anchors)],
                             other_certs=[to_asn1_cert(issuing)], crls=[c.public_bytes(Encoding.DER) for c in crls],
                             allow_fetching=False, revocation_mode="soft-fail")
