from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ..db import UTCDateTime, utcnow
from ..security.roles import Role


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True, index=True)
    display_name: str = Field(max_length=120)
    role: Role = Field(sa_type=sa.String(20), index=True)
    password_hash: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=200)
    # For a party acting for an institution: which institution they represent.
    institution_id: int | None = Field(default=None, foreign_key="institutions.id")
    # For court accounts: the court's name as printed on rulings.
    organisation: str | None = Field(default=None, max_length=200)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # Second factor (TOTP, RFC 6238): the secret from enrolment; enabled once a first code confirmed it.
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_enabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    totp_last_step: int | None = Field(default=None, sa_type=sa.BigInteger)
    password_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def second_factor_enabled(self) -> bool:
        return self.totp_enabled_at is not None and self.totp_secret is not None


class RevokedToken(SQLModel, table=True):
    """Access tokens ended early (logout); kept until they would have expired anyway."""

    __tablename__ = "revoked_tokens"

    jti: str = Field(primary_key=True, max_length=64)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class RecoveryCode(SQLModel, table=True):
    """A one-time recovery code for a lost authenticator; only its Argon2 hash is kept."""

    __tablename__ = "recovery_codes"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    code_hash: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
