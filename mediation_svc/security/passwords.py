"""Password hashing with Argon2id (argon2-cffi).

Production uses RFC 9106's low-memory profile; the test suite switches to argon2's CHEAPEST profile so that
hundreds of test accounts do not cost minutes. Hashes carry their parameters, so either verifies the other.
"""

from __future__ import annotations

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

PROFILES = {
    "rfc9106_low_memory": profiles.RFC_9106_LOW_MEMORY,
    "rfc9106_high_memory": profiles.RFC_9106_HIGH_MEMORY,
    "cheapest": profiles.CHEAPEST,  # tests only
}

_hasher = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)
_dummy_hash = _hasher.hash("not-a-real-password")


def use_profile(name: str) -> None:
    """Switch this process to the Argon2id profile ``name`` of ``PROFILES``
    (``MEDIATION_PASSWORD_HASH_PROFILE``); KeyError for another name."""
    global _hasher, _dummy_hash
    _hasher = PasswordHasher.from_parameters(PROFILES[name])
    # Verifying against this keeps a login for an unknown user as slow as one for a known user.
    _dummy_hash = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    """An Argon2id hash under the current profile (salt and parameters encoded in it)."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches the hash; False for a malformed hash, and for none after
    verifying against a dummy hash, so that an unknown user takes as long as a known one."""
    try:
        return _hasher.verify(password_hash or _dummy_hash, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than the current profile's (login then rehashes)."""
    return _hasher.check_needs_rehash(password_hash)
