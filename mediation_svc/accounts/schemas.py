from __future__ import annotations

from pydantic import BaseModel, Field

from ..phones import OptionalMobilePhone
from ..security.roles import Role


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class UserCreate(BaseModel):
    username: str = Field(min_length=3, max_length=80, pattern=r"^[A-Za-z0-9_.@-]+$")
    display_name: str = Field(min_length=1, max_length=120)
    role: Role
    password: str = Field(min_length=12, max_length=200,
                          description="12 characters or more, not a common password (security.password_policy)")
    phone: OptionalMobilePhone = None
    email: str | None = Field(default=None, max_length=200)
    institution_id: int | None = None
    organisation: str | None = None


class Reauthentication(BaseModel):
    password: str = Field(min_length=1, max_length=200, description="your password, asked again")
    totp_code: str | None = Field(default=None, max_length=40, description="authenticator or recovery code")


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=12, max_length=200)
    totp_code: str | None = Field(default=None, max_length=40)


class SecondFactorEnrolment(BaseModel):
    otpauth_uri: str
    secret: str


class SecondFactorCode(BaseModel):
    code: str = Field(min_length=6, max_length=12)


class RecoveryCodes(BaseModel):
    recovery_codes: list[str]


class UserRead(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role
    phone: str | None = None
    email: str | None = None
    institution_id: int | None = None
    organisation: str | None = None
    active: bool
    second_factor_enabled: bool = False


class TreeVerification(BaseModel):
    """The Merkle tree heads' check (audit.transparency.TreeReport)."""

    ok: bool
    heads_checked: int
    leaves_checked: int
    first_broken_seq: int | None
    broken_tree_size: int | None
    reason: str | None


class AuditVerification(BaseModel):
    """``GET /admin/audit/verify``: every chain, then (when they hold) the tree heads; the first break named."""

    ok: bool
    entries_checked: int
    first_broken_seq: int | None
    reason: str | None
    tree: TreeVerification | None
