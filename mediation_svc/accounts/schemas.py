from __future__ import annotations

from pydantic import BaseModel, Field

from ..security.roles import Role


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class UserCreate(BaseModel):
    username: str = Field(min_length=3, max_length=80, pattern=r"^[A-Za-z0-9_.@-]+$")
    display_name: str = Field(min_length=1, max_length=120)
    role: Role
    password: str = Field(min_length=10, max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=200)
    institution_id: int | None = None
    organisation: str | None = None


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
