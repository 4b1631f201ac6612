"""Reports a court can keep: JWS (RFC 7515, compact, ES256) signed with the center's report-signing key,
and that key published as a JWK Set (RFC 7517) at ``/.well-known/jwks.json`` with an RFC 7638 thumbprint
as ``kid``.

The report-signing key is its own P-256 key in the key store (``report-signing``), not the login-token
key: a court re-checking a report years later must not depend on the key that signs short-lived
sessions, and rotating one must not touch the other. ``keys init`` creates it with the others (encrypted
with the deployment passphrase); ``ensure_report_key`` also creates it for a key directory made before it existed.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jws
from jose.exceptions import JWSError

from ..pki.keystore import REPORT_SIGNING_KEY, KeyStore

ALGORITHM = "ES256"
REPORT_MEDIA_TYPE = "application/jose"


class AttestationInvalid(ValueError):
    """The JWS does not verify with the published key."""


def ensure_report_key(keystore: KeyStore) -> ec.EllipticCurvePrivateKey:
    key = keystore.ensure_ec_key(REPORT_SIGNING_KEY)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError(f"key '{REPORT_SIGNING_KEY}' must be a P-256 key for ES256")
    return key


def _b64(value: int) -> str:
    return base64.urlsafe_b64encode(value.to_bytes(32, "big")).rstrip(b"=").decode()


def public_jwk(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> dict[str, str]:
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    numbers = public.public_numbers()
    jwk = {"crv": "P-256", "kty": "EC", "x": _b64(numbers.x), "y": _b64(numbers.y)}
    # RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace
    thumbprint = hashlib.sha256(json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode()).digest()
    return {**jwk, "kid": base64.urlsafe_b64encode(thumbprint).rstrip(b"=").decode(), "use": "sig", "alg": ALGORITHM}


def jwks(keystore: KeyStore) -> dict[str, Any]:
    return {"keys": [public_jwk(ensure_report_key(keystore))]}


def sign_payload(keystore: KeyStore, payload: dict[str, Any], *, typ: str) -> str:
    """Compact JWS over the JSON payload, with ``kid`` and ``typ`` in the protected header."""
    key = ensure_report_key(keystore)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")
    return jws.sign(body, pem, algorithm=ALGORITHM, headers={"kid": public_jwk(key)["kid"], "typ": typ})


def verify_payload(token: str, jwk_set: dict[str, Any]) -> dict[str, Any]:
    """Check a compact JWS against a JWK Set (what a court does with the published keys)."""
    try:
        header = jws.get_unverified_header(token)
        key = next(k for k in jwk_set["keys"] if k.get("kid") == header.get("kid"))
        return json.loads(jws.verify(token, key, algorithms=[ALGORITHM]))
    except (JWSError, StopIteration, KeyError, ValueError) as exc:
        raise AttestationInvalid(f"the signature on this report does not verify: {exc}") from None
