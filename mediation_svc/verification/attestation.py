"""What a court keeps, signed: JWS (RFC 7515, compact, ES256), each kind of artefact with its own key and its
own ``typ``, all keys published as a JWK Set (RFC 7517) at ``/.well-known/jwks.json`` with an RFC 7638
thumbprint as ``kid``.

Two kinds, ``Purpose`` below: the verification report (``POST /api/v1/verify?format=jws``, key
``report-signing``) and the evidence package's manifest (``judicial.package``, key ``manifest-signing``).
Explicit typing and one key per kind (RFC 8725 §3.11, §3.12): the anonymous endpoint signs a report for
anyone, so a report JWS must never pass as a manifest. A verifier names the one ``typ`` it accepts; the
token must carry exactly that ``typ`` in its protected header and a ``kid`` whose published key has that
purpose (``purpose`` and ``jws_typ`` members of each JWK), so even a court tool that ignores ``typ``
cannot take a report for a manifest: the report key is not the manifest key.

Backwards compatible: reports already issued keep verifying (same key, same ``typ``). Manifests signed
before the manifest key existed were signed with the report key, but always with the manifest ``typ`` in
the protected header, which the report path has never used; ``verify_bytes`` still accepts those (the
report key's JWK lists them under ``legacy_jws_typ``).

The keys are P-256 keys in the key store, not the login-token key: a court re-checking a report years
later must not depend on the key that signs short-lived sessions. ``keys init`` creates them (encrypted
with the deployment passphrase); ``signing_key`` also creates one for a key directory made before it existed.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jws
from jose.exceptions import JWSError

from ..pki.keystore import AUDIT_SIGNING_KEY, MANIFEST_SIGNING_KEY, REPORT_SIGNING_KEY, KeyStore

ALGORITHM = "ES256"
REPORT_MEDIA_TYPE = "application/jose"


class AttestationInvalid(ValueError):
    """The JWS does not verify with the published key."""


@dataclass(frozen=True)
class Purpose:
    """One kind of signed artefact: its key in the key store and the JWS ``typ`` it carries."""

    name: str
    key_name: str
    typ: str
    legacy_typs: tuple[str, ...] = ()  # also verified with this key (issued before a kind got its own key)


REPORT = Purpose("verification-report", REPORT_SIGNING_KEY, "verification-report+jws",
                 legacy_typs=("evidence-manifest+jws",))
MANIFEST = Purpose("evidence-manifest", MANIFEST_SIGNING_KEY, "evidence-manifest+jws")
AUDIT_HEAD = Purpose("audit-tree-head", AUDIT_SIGNING_KEY, "audit-tree-head+jws")
PURPOSES = (REPORT, MANIFEST, AUDIT_HEAD)
_BY_TYP = {p.typ: p for p in PURPOSES}


def _purpose(typ: str) -> Purpose:
    try:
        return _BY_TYP[typ]
    except KeyError:
        raise ValueError(f"no signing key for JWS typ {typ!r}") from None


def signing_key(keystore: KeyStore, purpose: Purpose = REPORT) -> ec.EllipticCurvePrivateKey:
    """The P-256 key of ``purpose`` (the report's by default), created in the key store when missing;
    ValueError for a key of another type or curve."""
    key = keystore.ensure_ec_key(purpose.key_name)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError(f"key '{purpose.key_name}' must be a P-256 key for ES256")
    return key


def ensure_report_key(keystore: KeyStore) -> ec.EllipticCurvePrivateKey:
    """The report-signing key, created when missing."""
    return signing_key(keystore, REPORT)


def _b64(value: int) -> str:
    return base64.urlsafe_b64encode(value.to_bytes(32, "big")).rstrip(b"=").decode()


def public_jwk(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> dict[str, str]:
    """The public JWK (RFC 7517) of a P-256 key for ES256, its ``kid`` the RFC 7638 thumbprint."""
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    numbers = public.public_numbers()
    jwk = {"crv": "P-256", "kty": "EC", "x": _b64(numbers.x), "y": _b64(numbers.y)}
    # RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace
    thumbprint = hashlib.sha256(json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode()).digest()
    return {**jwk, "kid": base64.urlsafe_b64encode(thumbprint).rstrip(b"=").decode(), "use": "sig", "alg": ALGORITHM}


def purpose_jwk(keystore: KeyStore, purpose: Purpose) -> dict[str, Any]:
    """The published key of one purpose: which artefacts it signs (``purpose``, ``jws_typ``) and, for a
    key that signed another kind before that kind got its own key, which ones it still verifies."""
    jwk: dict[str, Any] = {**public_jwk(signing_key(keystore, purpose)), "key_ops": ["verify"],
                           "purpose": purpose.name, "jws_typ": [purpose.typ]}
    if purpose.legacy_typs:
        jwk["legacy_jws_typ"] = list(purpose.legacy_typs)
    return jwk


def jwks(keystore: KeyStore) -> dict[str, Any]:
    """The JWK Set published at ``/.well-known/jwks.json``: one key per purpose (report, manifest, audit
    tree head), a missing one created first."""
    return {"keys": [purpose_jwk(keystore, p) for p in PURPOSES]}


def sign_bytes(keystore: KeyStore, body: bytes, *, typ: str) -> str:
    """Compact JWS over exactly ``body``, with ``kid`` and ``typ`` in the protected header, made with the key
    of the purpose that ``typ`` names (a ``typ`` without a purpose is refused)."""
    purpose = _purpose(typ)
    key = signing_key(keystore, purpose)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return jws.sign(body, pem, algorithm=ALGORITHM, headers={"kid": public_jwk(key)["kid"], "typ": typ})


def sign_payload(keystore: KeyStore, payload: dict[str, Any], *, typ: str) -> str:
    """Compact JWS over the JSON payload (see ``sign_bytes``)."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")
    return sign_bytes(keystore, body, typ=typ)


def verify_bytes(token: str, jwk_set: dict[str, Any], *, typ: str) -> bytes:
    """The signed bytes of a compact JWS of kind ``typ`` (what a court does with the published keys).

    Accepted only if the protected header's ``typ`` is exactly ``typ`` and its ``kid`` names a published
    key whose ``jws_typ`` (or ``legacy_jws_typ``) lists ``typ``; anything else is ``AttestationInvalid``."""
    _purpose(typ)
    try:
        header = jws.get_unverified_header(token)
        if header.get("typ") != typ:
            raise AttestationInvalid(f"its typ is {header.get('typ')!r}, where {typ!r} is expected")
        key = next((k for k in jwk_set["keys"] if k.get("kid") == header.get("kid")), None)
        if key is None:
            raise AttestationInvalid("it is signed with a key that is not published")
        if typ not in [*key.get("jws_typ", ()), *key.get("legacy_jws_typ", ())]:
            raise AttestationInvalid(f"it is signed with the key for {key.get('purpose', 'other')} "
                                     f"artefacts, not the key for {typ}")
        return jws.verify(token, key, algorithms=[ALGORITHM])
    except AttestationInvalid as exc:
        raise AttestationInvalid(f"the signature does not verify: {exc}") from None
    except (JWSError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise AttestationInvalid(f"the signature does not verify: {exc}") from None


def verify_payload(token: str, jwk_set: dict[str, Any], *, typ: str = REPORT.typ) -> dict[str, Any]:
    """Check a compact JWS of kind ``typ`` (by default a verification report) and return its JSON payload."""
    body = verify_bytes(token, jwk_set, typ=typ)
    try:
        return json.loads(body)
    except ValueError as exc:
        raise AttestationInvalid(f"the signed content is not JSON: {exc}") from None
