from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.security import OAuth2PasswordRequestForm
from sqlmodel import col, select

from ..audit.chain import record
from ..deps import (AdminUser, CurrentUser, SessionDep, SettingsDep, StaffUser, TokensDep, actor_of,
                    client_address, oauth2_scheme)
from ..errors import Forbidden, NotFound
from ..security.roles import Role
from . import second_factor, service
from .models import User
from .schemas import (AuditVerification, PasswordChange, Reauthentication, RecoveryCodes, SecondFactorCode,
                      SecondFactorEnrolment, TokenResponse, UserCreate, UserRead)

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.post("/auth/token", response_model=TokenResponse)
def login(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep,
          settings: SettingsDep, tokens: TokensDep,
          totp_code: Annotated[str | None, Form(max_length=40, description="authenticator or recovery code, for "
                                                "accounts with a second factor")] = None) -> TokenResponse:
    user = service.authenticate(session, settings, username=form.username, password=form.password,
                                address=client_address(request), totp_code=totp_code)
    token, expires_in = service.issue_access_token(tokens, settings, user)
    record(session, actor=actor_of(user), action="user.logged_in", subject=f"user:{user.id}",
           payload={"address": client_address(request)})
    return TokenResponse(access_token=token, expires_in=expires_in)


@router.post("/auth/logout", status_code=204)
def logout(session: SessionDep, tokens: TokensDep, settings: SettingsDep, user: CurrentUser,
           token: Annotated[str, Depends(oauth2_scheme)]) -> None:
    service.revoke_access_token(session, tokens, settings, token)


@router.post("/users/me/password", status_code=204)
def change_password(request: Request, data: PasswordChange, session: SessionDep, settings: SettingsDep,
                    user: CurrentUser) -> None:
    """A new password (12 characters or more, not a common one); tokens issued before stop working."""
    service.change_password(session, settings, user=user, current_password=data.current_password,
                            new_password=data.new_password, totp_code=data.totp_code,
                            address=client_address(request))


@router.post("/users/me/second-factor", response_model=SecondFactorEnrolment, status_code=201)
def begin_second_factor(session: SessionDep, user: CurrentUser) -> SecondFactorEnrolment:
    """Start enrolling an authenticator app (TOTP, RFC 6238): scan the URI, then confirm with a first code."""
    uri = second_factor.begin(session, user=user, actor=actor_of(user))
    return SecondFactorEnrolment(otpauth_uri=uri, secret=user.totp_secret or "")


@router.post("/users/me/second-factor/confirm", response_model=RecoveryCodes)
def confirm_second_factor(data: SecondFactorCode, session: SessionDep, user: CurrentUser) -> RecoveryCodes:
    """Switch the second factor on with a first code; the ten recovery codes are shown this once."""
    return RecoveryCodes(recovery_codes=second_factor.confirm(session, user=user, code=data.code,
                                                              actor=actor_of(user)))


@router.post("/users/{user_id}/second-factor/reset", status_code=204)
def reset_second_factor(request: Request, user_id: int, data: Reauthentication, session: SessionDep,
                        settings: SettingsDep, user: AdminUser) -> None:
    """An admin removes a staff member's lost authenticator (they enrol again at their next login)."""
    service.reauthenticate(session, settings, user=user, password=data.password, totp_code=data.totp_code,
                           address=client_address(request))
    target = session.get(User, user_id)
    if target is None:
        raise NotFound(f"user {user_id} not found")
    second_factor.disable(session, user=target, actor=actor_of(user))


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
    query = select(User).order_by(col(User.id))
    if role is not None:
        query = query.where(User.role == role)
    return list(session.exec(query).all())


@router.get("/admin/audit/verify", response_model=AuditVerification)
def verify_audit(request: Request, session: SessionDep, user: AdminUser) -> AuditVerification:
    from ..audit.transparency import verify_log

    return AuditVerification.model_validate(verify_log(session, request.app.state.keystore))
