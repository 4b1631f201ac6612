"""What a new password must be (NIST SP 800-63B §5.1.1.2, OWASP ASVS V2.1): at least 12 characters, at most
200, not one of the common passwords shipped in ``common-passwords.txt`` (nor one with only digits or
punctuation added around it), not digits only (a phone number, a birthday), and not the account's own name. No composition rules: length is what counts.
"""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

MIN_LENGTH = 12
MAX_LENGTH = 200
LIST = Path(__file__).with_name("common-passwords.txt")
_PADDING = string.digits + string.punctuation + " "


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def problems(password: str, *, username: str | None = None) -> list[str]:
    """Why ``password`` is refused (empty: accepted)."""
    found = []
    if len(password) < MIN_LENGTH:
        found.append(f"at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        found.append(f"at most {MAX_LENGTH} characters")
    lowered = password.lower()
    core = lowered.strip(_PADDING)
    common = common_passwords()
    if lowered in common or (core and core in common):
        found.append("too common: it is on the list of passwords attackers try first")
    if password.isdigit():
        found.append("not digits only: phone numbers, ID numbers and dates are tried first")
    if username and username.lower() in (lowered, core):
        found.append("must not be the user name")
    return found
