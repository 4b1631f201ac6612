"""FastAPI dependencies, named once and reused by every router."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from pyhanko.sign.timestamps import TimeStamper
from starlette.datastructures import FormData
from sqlalchemy.engine import Engine
from sqlmodel import Session

from .accounts.models import User
from .accounts.service import user_from_access_token
from .audit.chain import actor_of  # noqa: F401 - routes name the actor through deps
from .config import Settings
from .db import unit_of_work
from .errors import Forbidden
from .pki.keystore import KeyStore
from .reliability import attempt_number
from .security.roles import STAFF, Role
from .security.tokens import TokenService

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_settings_dep(request: Request) -> Settings:
    """The app's ``Settings`` (``app.state``, set by ``create_app``)."""
    return request.app.state.settings


def get_engine(request: Request) -> Engine:
    """The app's database engine."""
    return request.app.state.engine


def get_keystore(request: Request) -> KeyStore:
    """The app's ``KeyStore``: the center's keys and certificates."""
    return request.app.state.keystore


def get_tokens(request: Request) -> TokenService:
    """The app's ``TokenService``: it issues and checks the service's signed tokens."""
    return request.app.state.tokens


def get_db(request: Request) -> Iterator[Session]:
    """The request's ``Session``: one transaction (``db.unit_of_work``) that the services flush into."""
    # One request, one transaction: committed when the endpoint returns, before the response is sent
    # (scope="function" below), rolled back if anything raised.
    # A GET reads without SQLite's write lock on its first attempt; a retry (it wrote after all and met a
    # writer) takes the lock from the start.
    read_only = request.method in ("GET", "HEAD", "OPTIONS") and attempt_number(request) == 0
    with unit_of_work(request.app.state.engine, read_only=read_only) as session:
        yield session


async def read_body(request: Request) -> bytes:
    """The raw body, awaited on the event loop so that the endpoint itself can be a plain ``def``.

    An ``async def`` endpoint that touches the database blocks its worker's event loop on every query; a
    lock wait there freezes every request of the worker (issue 16). Endpoints take the body or the form
    through these dependencies instead and run in the thread pool.
    """
    return await request.body()


async def read_form(request: Request) -> FormData:
    """The parsed form (Starlette caches it on the request, so a CSRF check that read it costs nothing)."""
    return await request.form()


RawBody = Annotated[bytes, Depends(read_body)]
FormDep = Annotated[FormData, Depends(read_form)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
EngineDep = Annotated[Engine, Depends(get_engine)]
KeyStoreDep = Annotated[KeyStore, Depends(get_keystore)]
TokensDep = Annotated[TokenService, Depends(get_tokens)]
SessionDep = Annotated[Session, Depends(get_db, scope="function")]


def get_current_user(session: SessionDep, tokens: TokensDep,
                     token: Annotated[str | None, Depends(oauth2_scheme)]) -> User:
    """The user of the bearer access token; Unauthenticated (401) without a token, or for one that
    is invalid, expired or revoked, issued before the last password change, or of an inactive account."""
    from .errors import Unauthenticated

    if not token:
        raise Unauthenticated("log in first (Authorization: Bearer <token>)")
    return user_from_access_token(session, tokens, token)


CurrentUser = Annotated[User, Depends(get_current_user)]


def require(*roles: Role):
    """A dependency that lets through only the given roles."""

    def checker(user: CurrentUser) -> User:
        if user.role not in roles:
            raise Forbidden(f"this action needs one of the roles: {', '.join(r.value for r in roles)}")
        return user

    return Depends(checker)


StaffUser = Annotated[User, require(*STAFF)]
AdminUser = Annotated[User, require(Role.ADMIN)]




def client_address(request: Request) -> str:
    """The client's address; ``X-Forwarded-For`` counts only from ``MEDIATION_TRUSTED_PROXIES``."""
    from .security.proxies import client_address as resolve, parse_trusted

    trusted = parse_trusted(request.app.state.settings.trusted_proxies)
    return resolve(request.client.host if request.client else None, request.headers.get("x-forwarded-for"),
                   trusted)


def get_timestamper(request: Request) -> TimeStamper:
    """The RFC 3161 TimeStamper that create_app built (our TSA, or MEDIATION_TSA_URL's)."""
    return request.app.state.timestamper


TimestamperDep = Annotated[TimeStamper, Depends(get_timestamper)]
