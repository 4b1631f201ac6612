from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from sqlmodel import select

from ..audit.chain import record
from ..deps import (AdminUser, CurrentUser, SessionDep, SettingsDep, StaffUser, TokensDep, actor_of,
                    client_address, oauth2_scheme)
from ..errors import Forbidden
from ..security.roles import Role
from . import service
from .models import User
from .schemas import TokenResponse, UserCreate, UserRead

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.post("/auth/token", response_model=TokenResponse)
def login(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep,
          settings: SettingsDep, tokens: TokensDep) -> TokenResponse:
    user = service.authenticate(session, settings, username=form.username, password=form.password,
                                address=client_address(request))
    token, expires_in = service.issue_access_token(tokens, settings, user)
    record(session, actor=actor_of(user), action="user.logged_in", subject=f"user:{user.id}",
           payload={"address": client_address(request)})
    return TokenResponse(access_token=token, expires_in=expires_in)


@router.post("/auth/logout", status_code=204)
def logout(session: SessionDep, tokens: TokensDep, user: CurrentUser,
           token: Annotated[str, Depends(oauth2_scheme)]) -> None:
    service.revoke_access_token(session, tokens, token)


@router.get("/users/me", response_model=UserRead)
def me(user: CurrentUser) -> User:
    return user


@router.post("/users", status_code=201, response_model=UserRead)
def create_user(data: UserCreate, session: SessionDep, user: StaffUser) -> User:
    # Officers may open accounts for parties and courts; staff accounts are the admin's to create.
    if user.role != Role.ADMIN and data.role not in (Role.PARTY, Role.COURT, Role.EXPERT):
        raise Forbidden("only an admin can create staff accounts")
    return service.create_user(session, data=data, actor=actor_of(user))


@router.get("/users", response_model=list[UserRead])
def list_users(session: SessionDep, user: StaffUser, role: Role | None = None) -> list[User]:
    query = select(User).order_by(User.id)
    if role is not None:
        query = query.where(User.role == role)
    return list(session.exec(query).all())


@router.get("/admin/audit/verify")
def verify_audit(request: Request, session: SessionDep, user: AdminUser) -> dict:
    from ..audit.transparency import verify_log

    return verify_log(session, request.app.state.keystore)
