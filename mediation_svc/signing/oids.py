"""Object identifiers of the service's own certificate extensions (RFC 5280 §4.2, private arcs), apart from
``pades`` so that a verifier can read them without loading the signer."""

from __future__ import annotations

from cryptography import x509

# Private, non-critical extension: SHA-256 of the signing event's evidence record (UUID arc, X.667).
EVIDENCE_DIGEST_OID = x509.ObjectIdentifier("2.25.196034452727342396522519436651744300167")
