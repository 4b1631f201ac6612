from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from ..audit.chain import record
from ..config import Settings
from ..errors import Conflict, Unauthenticated
from ..security import throttle
from ..security.passwords import hash_password, needs_rehash, verify_password
from ..security.roles import Role
from ..security.tokens import TokenService
from .models import RevokedToken, User
from .schemas import UserCreate

ACCESS = "access"


def create_user(session: Session, *, data: UserCreate, actor: str) -> User:
    if session.exec(select(User).where(User.username == data.username)).first():
        raise Conflict(f"username '{data.username}' is taken")
    user = User(username=data.username, display_name=data.display_name, role=data.role,
                password_hash=hash_password(data.password), phone=data.phone, email=data.email,
                institution_id=data.institution_id, organisation=data.organisation)
    session.add(user)
    session.flush()
    record(session, actor=actor, action="user.created", subject=f"user:{user.id}",
           payload={"username": user.username, "role": user.role})
    return user


def authenticate(session: Session, settings: Settings, *, username: str, password: str, address: str) -> User:
    """Check a password, counting failures per account and per client address."""
    window = timedelta(seconds=settings.login_window_seconds)
    throttle.ensure_allowed(session, bucket="login-account", key=username.lower(),
                            limit=settings.login_max_attempts_per_account, window=window,
                            message="Too many failed logins for this account; try again later.")
    throttle.ensure_allowed(session, bucket="login-address", key=address,
                            limit=settings.login_max_attempts_per_address, window=window,
                            message="Too many failed logins from this address; try again later.")
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None or not user.active or not verify_password(user.password_hash, password):
        throttle.count_attempt(session, bucket="login-account", key=username.lower())
        throttle.count_attempt(session, bucket="login-address", key=address)
        raise Unauthenticated("wrong username or password")
    throttle.clear(session, bucket="login-account", key=username.lower())
    if needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    return user


def issue_access_token(tokens: TokenService, settings: Settings, user: User) -> tuple[str, int]:
    lifetime = timedelta(minutes=settings.access_token_minutes)
    token, _ = tokens.issue(subject=str(user.id), purpose=ACCESS, lifetime=lifetime,
                            claims={"role": str(user.role)})
    return token, int(lifetime.total_seconds())


def user_from_access_token(session: Session, tokens: TokenService, token: str) -> User:
    claims = tokens.decode(token, purpose=ACCESS)
    if session.get(RevokedToken, claims["jti"]) is not None:
        raise Unauthenticated("token has been revoked")
    try:
        user = session.get(User, int(claims["sub"]))
    except ValueError as exc:
        raise Unauthenticated("invalid token subject") from exc
    if user is None or not user.active or str(user.role) != claims.get("role"):
        raise Unauthenticated("account is not active")
    return user


def revoke_access_token(session: Session, tokens: TokenService, token: str) -> None:
    from datetime import datetime, timezone

    claims = tokens.decode(token, purpose=ACCESS)
    session.merge(RevokedToken(jti=claims["jti"],
                               expires_at=datetime.fromtimestamp(claims["exp"], timezone.utc)))


def is_staff(user: User) -> bool:
    return user.role in (Role.ADMIN, Role.CASE_OFFICER)
