"""JSON Web Tokens (RFC 7519) made and checked with python-jose.

Only ES256 is accepted: the allow-list shuts out ``alg: none`` and HMAC-with-the-public-key confusion.
Each token names one purpose in its audience (``mediation-svc:access``, ``mediation-svc:signing`` ...), so
a token minted for one use is refused everywhere else.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography.hazmat.primitives import serialization
from jose import jwt
from jose.exceptions import JOSEError

from ..errors import Unauthenticated
from ..pki.keystore import TOKEN_SIGNING_KEY, KeyStore

ALLOWED_ALGORITHMS = ["ES256"]


@dataclass
class TokenService:
    keystore: KeyStore
    audience: str
    issuer: str

    def _private_pem(self) -> bytes:
        key = self.keystore.private_key(TOKEN_SIGNING_KEY)
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())

    def public_pem(self) -> bytes:
        key = self.keystore.private_key(TOKEN_SIGNING_KEY)
        return key.public_key().public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)

    def audience_for(self, purpose: str) -> str:
        return f"{self.audience}:{purpose}"

    def issue(self, *, subject: str, purpose: str, lifetime: timedelta,
              claims: dict[str, Any] | None = None, now: datetime | None = None) -> tuple[str, dict[str, Any]]:
        issued = now or datetime.now(timezone.utc)
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.audience_for(purpose),
            "iat": int(issued.timestamp()),
            "nbf": int(issued.timestamp()),
            "exp": int((issued + lifetime).timestamp()),
            "jti": uuid.uuid4().hex,
        }
        payload.update(claims or {})
        token = jwt.encode(payload, self._private_pem(), algorithm="ES256", headers={"kid": TOKEN_SIGNING_KEY})
        return token, payload

    def decode(self, token: str, *, purpose: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in ALLOWED_ALGORITHMS:
                raise Unauthenticated("token algorithm not accepted")
            return jwt.decode(
                token,
                self.public_pem().decode(),
                algorithms=ALLOWED_ALGORITHMS,
                audience=self.audience_for(purpose),
                issuer=self.issuer,
                options={"require_exp": True, "require_iat": True, "require_sub": True,
                         "require_jti": True, "require_aud": True, "leeway": 0},
            )
        except Unauthenticated:
            raise
        except (JOSEError, ValueError, KeyError, TypeError) as exc:
            raise Unauthenticated("invalid or expired token") from exc
