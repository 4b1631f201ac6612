"""Proving who signs: short link codes, one-time codes sent to the phone on record, the ID's last four characters.

- Link codes (``/s/K7P3QX9MAB2C``): 12 characters of Crockford's base32 from the OS CSPRNG (60 bits), one per
  signer; the database keeps only their HMAC-SHA256, which is also how a typed code is looked up.
- SMS codes are 6 digits, never stored in clear: the row keeps ``nonce$HMAC-SHA256``.
- Every MAC is under a key derived from the service's token-signing key, so a copy of the database alone
  cannot test guesses.
- Phones: a mainland mobile number (11 digits, 1[3-9]...) or an explicit international mobile (+CC...).

Pure functions: the service decides when codes are sent, expire and lock.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from cryptography.hazmat.primitives import serialization

from ..pki.keystore import TOKEN_SIGNING_KEY, KeyStore

OTP_DIGITS = 6
OTP_LIFETIME = timedelta(minutes=5)
OTP_MAX_FAILURES = 5  # then the code is locked; the center issues a new link
OTP_RESEND_GAP = timedelta(seconds=60)
OTP_MAX_SENDS = 5  # per link
LINK_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: no I, L, O, U
LINK_CODE_LENGTH = 12  # 12 x 5 = 60 bits


def secret_from_keystore(keystore: KeyStore) -> bytes:
    """The MAC key of codes, links and ID characters: SHA-256 over a fixed label and the
    token-signing key's DER, so that a copy of the database alone cannot test guesses."""
    key = keystore.private_key(TOKEN_SIGNING_KEY)
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return hashlib.sha256(b"mediation-svc signing identity v1\x00" + der).digest()


def new_code() -> str:
    """A fresh SMS code: six digits from the OS CSPRNG, leading zeros kept."""
    return f"{secrets.randbelow(10 ** OTP_DIGITS):0{OTP_DIGITS}d}"


def _mac(secret: bytes, *parts: str) -> str:
    return hmac.new(secret, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


def hash_code(secret: bytes, *, participant_id: int, code: str) -> str:
    """What the row keeps of an SMS code: ``nonce$HMAC-SHA256``, bound to the signer, with a fresh nonce."""
    nonce = secrets.token_hex(8)
    return f"{nonce}${_mac(secret, 'otp', str(participant_id), nonce, code)}"


def code_matches(secret: bytes, *, participant_id: int, code: str, stored: str | None) -> bool:
    """Whether ``code`` (spaces around it ignored) is the one ``hash_code`` stored for this signer,
    compared in constant time; False when nothing is stored."""
    if not stored or "$" not in stored:
        return False
    nonce, mac = stored.split("$", 1)
    candidate = (code or "").strip()
    return hmac.compare_digest(mac, _mac(secret, "otp", str(participant_id), nonce, candidate))


def new_link_code() -> str:
    """A fresh link code: 12 characters of Crockford's base32 from the OS CSPRNG (60 bits)."""
    return "".join(secrets.choice(LINK_ALPHABET) for _ in range(LINK_CODE_LENGTH))


def normalise_link_code(typed: str) -> str | None:
    """The code as typed or tapped (case, spaces, dashes, Crockford's look-alikes forgiven), or None."""
    code = (typed or "").strip().upper().replace("-", "").replace(" ", "")
    look_alikes: dict[str, str | int | None] = {"O": "0", "I": "1", "L": "1"}
    code = code.translate(str.maketrans(look_alikes))
    if len(code) != LINK_CODE_LENGTH or any(c not in LINK_ALPHABET for c in code):
        return None
    return code


def hash_link_code(secret: bytes, code: str) -> str:
    """The HMAC-SHA256 of a normalised link code: what is stored, and how a typed code is looked up."""
    return _mac(secret, "link", code)


def id_last4(id_number: str | None) -> str | None:
    """The last four characters of an ID number, upper case; None without one."""
    if not id_number:
        return None
    return id_number.strip().upper()[-4:]


def hash_id_last4(secret: bytes, last4: str) -> str:
    """The HMAC-SHA256 of the ID's last four characters (trimmed, upper case), as stored for the ID check."""
    return _mac(secret, "id-last4", last4.strip().upper())


def id_last4_matches(secret: bytes, *, typed: str | None, stored: str | None) -> bool:
    """Nothing on record never matches: nobody passes the ID step with any four characters."""
    if stored is None or not typed:
        return False
    return hmac.compare_digest(stored, hash_id_last4(secret, typed))


def mask_phone(phone: str | None) -> str | None:
    """A phone for display, a ``+86`` prefix dropped: its first three digits, ``****``, its last four
    (+8613812345678 -> 138****5678); ``****`` when fewer than eight characters remain."""
    if not phone:
        return phone
    digits = phone.strip()
    if digits.startswith("+86"):
        digits = digits[3:]
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 8 else "****"
