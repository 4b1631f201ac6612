"""Calendar feeds: a secret address per user (only its SHA-256 is stored) that serves their sessions as iCalendar."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlmodel import Session, col, select

from ..accounts.models import User
from ..audit.chain import actor_of, record
from ..db import id_of, utcnow
from ..errors import NotFound
from .models import CalendarFeedToken, MediationSession, SessionParticipant


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def issue_feed_token(session: Session, *, user: User) -> str:
    """A new secret feed token for the user (the previous one stops working); only its hash is stored."""
    token = secrets.token_urlsafe(32)
    row = session.exec(select(CalendarFeedToken).where(CalendarFeedToken.user_id == user.id)).first()
    if row is None:
        row = CalendarFeedToken(user_id=id_of(user), token_hash=hash_token(token))
    else:
        row.token_hash, row.created_at = hash_token(token), utcnow()
    session.add(row)
    session.flush()
    record(session, actor=actor_of(user), action="calendar_feed.issued", subject=f"user:{user.id}")
    return token


def revoke_feed_token(session: Session, *, user: User) -> bool:
    """Stop the user's feed address from working; False when there was none."""
    row = session.exec(select(CalendarFeedToken).where(CalendarFeedToken.user_id == user.id)).first()
    if row is None:
        return False
    session.delete(row)
    session.flush()
    record(session, actor=actor_of(user), action="calendar_feed.revoked", subject=f"user:{user.id}")
    return True


def user_for_feed_token(session: Session, *, token: str) -> User:
    try:
        digest = hash_token(token)
    except UnicodeEncodeError as exc:
        raise NotFound("calendar feed not found") from exc
    row = session.exec(select(CalendarFeedToken).where(CalendarFeedToken.token_hash == digest)).first()
    user = session.get(User, row.user_id) if row else None
    if user is None or not user.active:
        raise NotFound("calendar feed not found")
    return user


def sessions_of_user(session: Session, *, user_id: int, since: datetime) -> list[MediationSession]:
    return list(session.exec(
        select(MediationSession).join(SessionParticipant,
                                      col(SessionParticipant.session_id) == col(MediationSession.id))
        .where(col(SessionParticipant.user_id) == user_id, col(MediationSession.ends_at) >= since)
        .order_by(col(MediationSession.starts_at)).distinct()).all())
