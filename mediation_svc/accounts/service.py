from __future__ import annotations

import math
import uuid
from datetime import timedelta

from sqlmodel import Session, select

from ..audit.chain import actor_of, record
from ..cases.models import Institution
from ..config import Settings
from ..db import utcnow
from ..errors import Conflict, DomainError, InvalidInput, TooManyRequests, Unauthenticated
from ..security import password_policy, throttle
from ..security.passwords import hash_password, needs_rehash, verify_password
from ..security.tokens import TokenService
from . import second_factor
from .models import RevokedToken, User
from .schemas import UserCreate

ACCESS = "access"


def create_user(session: Session, *, data: UserCreate, actor: str) -> User:
    check_new_password(data.password, username=data.username)
    if session.exec(select(User).where(User.username == data.username)).first():
        raise Conflict(f"username '{data.username}' is taken")
    if data.institution_id is not None and session.get(Institution, data.institution_id) is None:
        raise InvalidInput(f"no institution {data.institution_id}",
                           errors=[{"loc": ["body", "institution_id"], "msg": "no such institution"}])
    user = User(username=data.username, display_name=data.display_name, role=data.role,
                password_hash=hash_password(data.password), phone=data.phone, email=data.email,
                institution_id=data.institution_id, organisation=data.organisation)
    session.add(user)
    session.flush()
    record(session, actor=actor, action="user.created", subject=f"user:{user.id}",
           payload={"username": user.username, "role": user.role})
    return user


KNOWN_ADDRESS_DAYS = 30


class ReauthenticationFailed(DomainError):
    status, slug, title = 403, "reauthentication-failed", "Confirm it is you: the password (and code) did not match"


def _login_keys(username: str, address: str) -> tuple[str, str]:
    account = username.strip().lower()[:80]
    return account, f"{account}|{address}"[:200]


def check_login_throttle(session: Session, settings: Settings, *, username: str, address: str) -> None:
    """Refuse (429 with Retry-After) before the password is even looked at, following OWASP ASVS V2.2:

    - this account from this address: ``login_max_attempts_per_account`` failures lock the pair for the window;
    - this address, any account (spraying): ``login_max_attempts_per_address`` failures lock the address;
    - this account from anywhere: past the same number of failures each new attempt waits 1, 2, 4 ... seconds
      (at most ``login_delay_max_seconds``) after the latest failure, except from an address the account
      logged in from in the last 30 days. An attacker rotating addresses is slowed down; the real user is
      never locked out.
    """
    window = timedelta(seconds=settings.login_window_seconds)
    account, pair = _login_keys(username, address)
    throttle.ensure_allowed(session, bucket="login-pair", key=pair, limit=settings.login_max_attempts_per_account,
                            window=window, message="Too many failed logins for this account from here; try again later.")
    throttle.ensure_allowed(session, bucket="login-address", key=address,
                            limit=settings.login_max_attempts_per_address, window=window,
                            message="Too many failed logins from this address; try again later.")
    if throttle.recent_count(session, bucket="login-known", key=pair, window=timedelta(days=KNOWN_ADDRESS_DAYS)):
        return
    failures, latest = throttle.last_at(session, bucket="login-account", key=account, window=window)
    delay = throttle.growing_delay(failures, free=settings.login_max_attempts_per_account,
                                   cap_seconds=settings.login_delay_max_seconds)
    if delay and latest is not None:
        wait = (latest + timedelta(seconds=delay) - utcnow()).total_seconds()
        if wait > 0:
            raise TooManyRequests("Too many failed logins for this account; wait a moment and try again.",
                                  retry_after_seconds=max(1, math.ceil(wait)))


def _count_failure(session: Session, *, username: str, address: str) -> None:
    account, pair = _login_keys(username, address)
    for bucket, key in (("login-pair", pair), ("login-address", address), ("login-account", account)):
        throttle.count_attempt(session, bucket=bucket, key=key)


def authenticate(session: Session, settings: Settings, *, username: str, password: str, address: str,
                 totp_code: str | None = None) -> User:
    """Check a password (and the second factor, when the account has one), throttled as above.

    An unknown user costs the same Argon2 verification as a known one, so timing does not tell them apart."""
    check_login_throttle(session, settings, username=username, address=address)
    user = session.exec(select(User).where(User.username == username)).first()
    password_ok = verify_password(user.password_hash if user is not None else None, password)
    if user is None or not user.active or not password_ok:
        _count_failure(session, username=username, address=address)
        raise Unauthenticated("wrong username or password")
    try:
        second_factor.check(session, user=user, code=totp_code)
    except second_factor.SecondFactorRejected:
        _count_failure(session, username=username, address=address)
        raise
    account, pair = _login_keys(username, address)
    throttle.clear(session, bucket="login-pair", key=pair)
    throttle.remember(session, bucket="login-known", key=pair)
    if needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    return user


def reauthenticate(session: Session, settings: Settings, *, user: User, password: str, totp_code: str | None,
                   address: str) -> None:
    """Fresh proof before an irreversible act: the password again, and the current code if enrolled."""
    check_login_throttle(session, settings, username=user.username, address=address)
    if not verify_password(user.password_hash, password):
        _count_failure(session, username=user.username, address=address)
        raise ReauthenticationFailed("the password is not right")
    try:
        second_factor.check(session, user=user, code=totp_code)
    except (second_factor.SecondFactorRejected, second_factor.SecondFactorRequired) as exc:
        _count_failure(session, username=user.username, address=address)
        raise ReauthenticationFailed(exc.detail) from exc


def check_new_password(password: str, *, username: str | None, loc: str = "password") -> None:
    found = password_policy.problems(password, username=username)
    if found:
        raise InvalidInput("the password is not accepted: " + "; ".join(found),
                           errors=[{"loc": ["body", loc], "msg": m} for m in found])


def change_password(session: Session, settings: Settings, *, user: User, current_password: str,
                    new_password: str, totp_code: str | None, address: str) -> None:
    """A new password; every access token issued before now stops working (``password_changed_at``)."""
    reauthenticate(session, settings, user=user, password=current_password, totp_code=totp_code, address=address)
    check_new_password(new_password, username=user.username, loc="new_password")
    if verify_password(user.password_hash, new_password):
        raise InvalidInput("the new password is the current one",
                           errors=[{"loc": ["body", "new_password"], "msg": "choose a different password"}])
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    session.add(user)
    session.flush()
    record(session, actor=actor_of(user), action="user.password_changed",
           subject=f"user:{user.id}", payload={"address": address})


def issue_access_token(tokens: TokenService, settings: Settings, user: User, auth_time: int | None = None,
                       session_id: str | None = None) -> tuple[str, int]:
    """A short-lived access token. A renewal passes the login's ``auth_time`` (which bounds the session's
    whole life) and its ``session_id`` (which logging out revokes, with every token renewed under it)."""
    lifetime = timedelta(minutes=settings.access_token_minutes)
    claims = {"role": str(user.role), "auth_time": auth_time or int(utcnow().timestamp()),
              "sid": session_id or uuid.uuid4().hex}
    token, _ = tokens.issue(subject=str(user.id), purpose=ACCESS, lifetime=lifetime, claims=claims)
    return token, int(lifetime.total_seconds())


def user_from_access_token(session: Session, tokens: TokenService, token: str) -> User:
    claims = tokens.decode(token, purpose=ACCESS)
    if session.get(RevokedToken, claims["jti"]) is not None or (
            claims.get("sid") and session.get(RevokedToken, _sid_key(claims["sid"])) is not None):
        raise Unauthenticated("token has been revoked")
    try:
        user = session.get(User, int(claims["sub"]))
    except ValueError as exc:
        raise Unauthenticated("invalid token subject") from exc
    if user is None or not user.active or str(user.role) != claims.get("role"):
        raise Unauthenticated("account is not active")
    if user.password_changed_at is not None and claims["iat"] < int(user.password_changed_at.timestamp()):
        raise Unauthenticated("the password was changed since this token was issued; log in again")
    return user


def _sid_key(session_id: str) -> str:
    return f"sid:{session_id}"[:64]


def revoke_access_token(session: Session, tokens: TokenService, settings: Settings, token: str) -> None:
    """Logout: this token, and the session it belongs to (every token renewed from the same login)."""
    from datetime import datetime, timezone

    claims = tokens.decode(token, purpose=ACCESS)
    expires = datetime.fromtimestamp(claims["exp"], timezone.utc)
    session.merge(RevokedToken(jti=claims["jti"], expires_at=expires))
    if claims.get("sid"):
        # renewals never run past the absolute lifetime, so the session's last token expires by then
        end = datetime.fromtimestamp(int(claims.get("auth_time") or claims["iat"]), timezone.utc) + timedelta(
            hours=settings.session_absolute_hours, minutes=settings.access_token_minutes)
        session.merge(RevokedToken(jti=_sid_key(claims["sid"]), expires_at=max(end, expires)))


