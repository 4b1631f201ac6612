"""A signature whose key stays in the signer's browser (W3C WebCrypto, ECDSA P-256, non-extractable).

The browser makes the key pair after the identity check and shows it holds the private key (proof of
possession: it signs a challenge bound to its signing session). The center then issues a one-time
certificate (RFC 5280) for that public key, carrying the evidence digest and a statement that the key was
generated on the signer's device; prepares the PDF with pyHanko's interrupted signing (the placeholder and
the byte-range digest, as for an institution's own certificate); and hands the browser the DER of the CMS
signed attributes (RFC 5652 §5.4: content type, message digest, ESS signing-certificate-v2, as PAdES
baseline wants). The browser signs them; the center assembles the SignerInfo with that signature value,
adds the RFC 3161 signature timestamp and embeds it (PAdES B-T).

Pure: bytes in, bytes out, no database. The center never sees, stores or needs the private key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from asn1crypto import cms, core
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from ..coroutines import run_sync
from ..pki.hierarchy import PkiUrls, random_serial, revocation_pointers
from ..pki.tsa import to_asn1_cert
from . import pades

# Private, non-critical extension (UUID arc, X.667): where the key pair was generated, as a UTF8String.
KEY_ORIGIN_OID = x509.ObjectIdentifier("2.25.285113904716468211405224936717411655301")
KEY_ORIGIN_SIGNER_DEVICE = "signer-device:webcrypto:ecdsa-p256:non-extractable"
POSSESSION_PREFIX = b"mediation-svc key possession v1\n"


class KeyRefused(ValueError):
    """The browser's key or signature is not acceptable (wrong curve, bad proof, signature does not verify)."""


def load_public_key(spki_der: bytes) -> ec.EllipticCurvePublicKey:
    """The browser's public key from its DER SubjectPublicKeyInfo; KeyRefused unless it is ECDSA P-256."""
    try:
        key = serialization.load_der_public_key(spki_der)
    except (ValueError, TypeError):
        raise KeyRefused("the public key is not a DER SubjectPublicKeyInfo") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise KeyRefused("the key must be ECDSA on P-256")
    return key


def der_signature(raw: bytes) -> bytes:
    """WebCrypto gives ECDSA signatures as r || s (IEEE P1363, 64 bytes for P-256); CMS wants DER."""
    if len(raw) != 64:
        raise KeyRefused("an ECDSA P-256 signature from WebCrypto is 64 bytes")
    return encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))


def verify(key: ec.EllipticCurvePublicKey, raw_signature: bytes, data: bytes) -> None:
    """Check a WebCrypto ECDSA P-256 signature (raw r || s, SHA-256) over ``data``; KeyRefused if it fails."""
    try:
        key.verify(der_signature(raw_signature), data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise KeyRefused("the signature does not verify with the browser's public key") from None


def possession_message(challenge: str) -> bytes:
    """What the browser signs to prove it holds the key: a versioned prefix and the session's challenge."""
    return POSSESSION_PREFIX + challenge.encode()


def verify_possession(spki_der: bytes, *, challenge: str, raw_signature: bytes) -> ec.EllipticCurvePublicKey:
    """The browser signed this session's challenge with the private key of this public key."""
    key = load_public_key(spki_der)
    verify(key, raw_signature, possession_message(challenge))
    return key


def issue_certificate(*, public_key: ec.EllipticCurvePublicKey, identity: pades.SignerIdentity,
                      evidence_sha256: bytes, issuing_cert: x509.Certificate, issuing_key, urls: PkiUrls,
                      now: dt.datetime, lifetime: dt.timedelta) -> x509.Certificate:
    """The one-time signer certificate for the browser's key, with the evidence digest and the key's origin."""
    if len(evidence_sha256) != 32:
        raise ValueError("evidence digest must be a SHA-256 value")
    attrs = pades.signer_subject(identity)
    usage = x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name(attrs)).issuer_name(issuing_cert.subject).public_key(public_key)
               .serial_number(random_serial())
               .not_valid_before(now - dt.timedelta(minutes=1)).not_valid_after(now + lifetime)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(usage, critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuing_key.public_key()),
                              critical=False)
               .add_extension(x509.UnrecognizedExtension(pades.EVIDENCE_DIGEST_OID,
                                                         core.OctetString(evidence_sha256).dump()), critical=False)
               .add_extension(x509.UnrecognizedExtension(KEY_ORIGIN_OID,
                                                         core.UTF8String(KEY_ORIGIN_SIGNER_DEVICE).dump()),
                              critical=False))
    builder = revocation_pointers(builder, urls, "ca-issuing", ocsp=True)
    return builder.sign(issuing_key, hashes.SHA256())


def key_origin_of(cert: x509.Certificate) -> str | None:
    """Where the certificate says its key was made (``KEY_ORIGIN_OID``); None without the extension."""
    try:
        ext = cert.extensions.get_extension_for_oid(KEY_ORIGIN_OID)
    except x509.ExtensionNotFound:
        return None
    return core.UTF8String.load(cast(x509.UnrecognizedExtension, ext.value).value).native


def _external(cert: x509.Certificate, chain: Sequence[x509.Certificate], signature: bytes | None = None):
    return signers.ExternalSigner(signing_cert=to_asn1_cert(cert), signature_value=signature or bytes(72),
                                  cert_registry=SimpleCertificateStore.from_certs([to_asn1_cert(c) for c in chain]))


@dataclass
class PreparedForBrowser:
    prepared: pades.PreparedExternal
    signed_attrs_der: bytes  # what the browser signs (ECDSA with SHA-256 over these bytes)


def prepare(pdf: bytes, *, cert: x509.Certificate, chain: Sequence[x509.Certificate], field: pades.FieldPlacement,
            appearance_png: bytes | None, reason: str, stamp_style=None) -> PreparedForBrowser:
    """The PDF with its signature placeholder (drawn with ``stamp_style``: the signer's mark in their block),
    and the CMS signed attributes over its byte-range digest."""
    prepared = pades.prepare_external(pdf, signer_cert=cert, chain=chain, field=field,
                                      appearance_png=appearance_png, reason=reason, stamp_style=stamp_style)
    attrs = run_sync(_external(cert, chain).signed_attrs(prepared.document_digest, pades.MD, use_pades=True))
    return PreparedForBrowser(prepared, attrs.dump())


def finish(prepared: PreparedForBrowser, *, cert: x509.Certificate, chain: Sequence[x509.Certificate],
           raw_signature: bytes, timestamper, validation_context=None) -> bytes:
    """Embed the browser's signature over the signed attributes (checked first) with a signature timestamp;
    with ``validation_context`` its validation data too, while the one-time certificate is valid (as
    ``pades.sign`` does for the other signatures)."""
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        # the one-time certificate was issued for the browser's P-256 key (load_public_key): never reached
        raise TypeError(f"the one-time certificate carries a {type(key).__name__}, not the browser's EC key")
    verify(key, raw_signature, prepared.signed_attrs_der)
    attrs = cms.CMSAttributes.load(prepared.signed_attrs_der)
    content = run_sync(_external(cert, chain, der_signature(raw_signature)).async_sign_prescribed_attributes(
        pades.MD, attrs))
    return pades.finish_external(prepared.prepared, cms_der=content.dump(), timestamper=timestamper,
                                 validation_context=validation_context)
