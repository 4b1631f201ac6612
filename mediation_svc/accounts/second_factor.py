"""The staff second factor: time-based one-time passwords (TOTP, RFC 6238, via pyotp) and recovery codes.

Enrolment is two steps: ``begin`` makes a secret (shown once, as an ``otpauth://`` URI for the authenticator
app), ``confirm`` checks a first code from the app and only then switches the factor on and hands out ten
recovery codes (stored as Argon2 hashes; each works once). A code is accepted once: the time step of the
last accepted code is kept, so a code seen over someone's shoulder cannot be replayed in the same 30 s.
"""

from __future__ import annotations

import secrets
import time

import pyotp
from sqlmodel import Session, col, select

from ..audit.chain import actor_of, record
from ..db import id_of, is_postgresql, utcnow
from ..errors import Conflict, DomainError
from ..security.passwords import hash_password, verify_password
from ..security.roles import Role
from .models import RecoveryCode, User

ISSUER = "mediation-svc"
RECOVERY_CODES = 10
STAFF_ROLES = (Role.ADMIN, Role.CASE_OFFICER, Role.MEDIATOR, Role.COURT)


class SecondFactorRequired(DomainError):
    status, slug, title = 401, "second-factor-required", "The code from the authenticator app is needed"


class SecondFactorRejected(DomainError):
    status, slug, title = 401, "second-factor-rejected", "The authenticator code is not valid"


def _totp(user: User) -> pyotp.TOTP:
    return pyotp.TOTP(user.totp_secret or "")


def begin(session: Session, *, user: User, actor: str) -> str:
    """A new secret for ``user`` (not active until confirmed); returns the provisioning URI."""
    if user.role not in STAFF_ROLES:
        raise Conflict("the second factor is for staff and court accounts")
    if user.second_factor_enabled:
        raise Conflict("a second factor is already active; disable it first to enrol a new device")
    user.totp_secret = pyotp.random_base32()
    user.totp_last_step = None
    session.add(user)
    session.flush()
    record(session, actor=actor, action="user.second_factor_enrolment_started", subject=f"user:{user.id}")
    return provisioning_uri(user)


def provisioning_uri(user: User) -> str:
    return _totp(user).provisioning_uri(name=user.username, issuer_name=ISSUER)


def _accept_totp(user: User, code: str, now: float | None = None) -> bool:
    code = code.strip().replace(" ", "")
    if not user.totp_secret or not code.isdigit() or len(code) != 6:
        return False
    now = time.time() if now is None else now
    totp = _totp(user)
    for drift in (0, -1, 1):  # one step of clock drift either way
        step = totp.timecode(_at(now + drift * totp.interval))
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue
        if secrets.compare_digest(totp.generate_otp(step), code):
            user.totp_last_step = step
            return True
    return False


def _at(seconds: float):
    from datetime import datetime, timezone

    return datetime.fromtimestamp(seconds, timezone.utc)


def confirm(session: Session, *, user: User, code: str, actor: str) -> list[str]:
    """Switch the factor on with a first code; returns the recovery codes (shown once). A second confirmation at
    the same moment (a double click) waits for the account's row, then finds the factor on: one set of codes."""
    session.refresh(user, with_for_update=is_postgresql(session))
    if user.second_factor_enabled:
        raise Conflict("the second factor is already active")
    if not user.totp_secret:
        raise Conflict("start the enrolment first")
    if not _accept_totp(user, code):
        raise SecondFactorRejected("the code does not match; check the phone's clock and try the next code")
    user.totp_enabled_at = utcnow()
    session.add(user)
    codes = _new_recovery_codes(session, user)
    session.flush()
    record(session, actor=actor, action="user.second_factor_enabled", subject=f"user:{user.id}")
    return codes


def _new_recovery_codes(session: Session, user: User) -> list[str]:
    for old in session.exec(select(RecoveryCode).where(col(RecoveryCode.user_id) == user.id)).all():
        session.delete(old)
    codes = ["-".join(secrets.token_hex(3) for _ in range(3)) for _ in range(RECOVERY_CODES)]
    for code in codes:
        session.add(RecoveryCode(user_id=id_of(user), code_hash=hash_password(code)))
    return codes


def disable(session: Session, *, user: User, actor: str) -> None:
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    for old in session.exec(select(RecoveryCode).where(col(RecoveryCode.user_id) == user.id)).all():
        session.delete(old)
    session.add(user)
    session.flush()
    record(session, actor=actor, action="user.second_factor_disabled", subject=f"user:{user.id}")


def check(session: Session, *, user: User, code: str | None) -> None:
    """For a user with the factor on: the current code, or an unused recovery code (then spent)."""
    if not user.second_factor_enabled:
        return
    if not code or not code.strip():
        raise SecondFactorRequired("enter the 6-digit code from the authenticator app (or a recovery code)")
    # Two logins with one code at the same moment: the account's row, locked and read again, makes the second
    # see the step (or the recovery code) the first has just used. (SQLite runs writers one at a time.)
    session.refresh(user, with_for_update=is_postgresql(session))
    if _accept_totp(user, code):
        session.add(user)
        return
    cleaned = code.strip().lower()
    if len(cleaned) == 20:  # a recovery code: xxxxxx-xxxxxx-xxxxxx
        for row in session.exec(select(RecoveryCode).where(col(RecoveryCode.user_id) == user.id,
                                                           col(RecoveryCode.used_at).is_(None))).all():
            if verify_password(row.code_hash, cleaned):
                row.used_at = utcnow()
                session.add(row)
                record(session, actor=actor_of(user), action="user.recovery_code_used",
                       subject=f"user:{user.id}")
                return
    raise SecondFactorRejected("the authenticator code is not valid (or was already used)")
