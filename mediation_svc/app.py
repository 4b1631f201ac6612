"""create_app(): settings, database, keys, routers, middleware and the one RFC 9457 error mapping."""

from __future__ import annotations

import logging
import shutil
import subprocess
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import reliability
from .config import Settings, get_settings
from .db import make_engine
from .errors import DomainError, PayloadTooLarge, problem
from .migrations_check import ensure_migrated
from .observability import Metrics, RequestContextMiddleware, configure_logging
from .pki.keystore import KeyStore
from .pki.settings import get_pki_settings
from .pki.tsa import TimeStampAuthority, timestamper_from_settings
from .problems import problem_response
from .security.integers import refuse_out_of_range_integers
from .security.transport import HstsMiddleware, require_metrics_reader
from .web.api_docs import install as install_api_docs
from .security.passwords import use_profile as use_password_profile
from .security.tokens import TokenService

log = logging.getLogger("mediation_svc.app")



def route_modules() -> tuple:
    """Every domain's routes, mounted in this order (the API first, the pages last: their catch-alls)."""
    from .accounts import routes as accounts
    from .cases import message_routes as case_messages
    from .cases import routes as cases
    from .complaints import review_routes as complaint_reviews
    from .complaints import routes as complaints
    from .documents import routes as documents
    from .evidence import routes as evidence
    from .judicial import routes as judicial
    from .notifications import routes as notifications
    from .pki import routes as pki
    from .rosters import routes as rosters
    from .scheduling import routes as scheduling
    from .selfservice import routes as selfservice
    from .signing import routes as signing
    from .statistics import routes as statistics
    from .verification import routes as verification
    from .web import routes as web
    from .workcalendar import routes as workcalendar

    return (accounts, cases, case_messages, rosters, scheduling, notifications, documents, pki, signing, verification, judicial,
            statistics, workcalendar, complaints, complaint_reviews, selfservice, evidence, web)

_STATUS_SLUGS = {400: "bad-request", 401: "unauthenticated", 403: "forbidden", 404: "not-found",
                 405: "method-not-allowed", 406: "not-acceptable", 413: "payload-too-large",
                 415: "unsupported-media-type", 429: "rate-limited"}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError):
        headers = None
        if "retry_after_seconds" in exc.extensions:
            headers = {"Retry-After": str(exc.extensions["retry_after_seconds"])}
        if exc.status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        return problem_response(exc.to_problem(request.url.path), headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
                  for e in exc.errors()]
        return problem_response(problem(422, "validation-error", "The request is not valid",
                                        "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors),
                                        request.url.path, errors=errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        slug = _STATUS_SLUGS.get(exc.status_code, f"http-{exc.status_code}")
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(problem(exc.status_code, slug, detail or slug.replace("-", " ").capitalize(),
                                        None, request.url.path), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s", request.url.path)
        return problem_response(problem(500, "internal-error", "Internal error",
                                        "The request could not be completed; nothing was changed.",
                                        request.url.path))


class BodySizeLimitMiddleware:
    """Refuse request bodies over the limit with 413, whether or not Content-Length is declared."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._reject(scope, receive, send)
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await self._reject(scope, receive, send)

    async def _reject(self, scope, receive, send) -> None:
        body = PayloadTooLarge(f"the request body exceeds {self.max_bytes} bytes").to_problem(scope.get("path"))
        response = problem_response(body)
        await response(scope, receive, send)


class _BodyTooLarge(StarletteHTTPException):
    # An HTTPException, so that FastAPI's body parsing lets it through instead of turning it into a 400.
    def __init__(self) -> None:
        super().__init__(413, "the request body is too large")


def fonts_available() -> bool:
    if shutil.which("fc-list") is None:
        return False
    out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=10).stdout
    return bool(out.strip())


def create_app(settings: Settings | None = None, engine: Engine | None = None, *, check_migrations: bool = True) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)
    use_password_profile(settings.password_hash_profile)
    engine = engine or make_engine(settings)
    if check_migrations:
        ensure_migrated(engine)
    keystore = KeyStore.from_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Sync endpoints and dependencies run in this pool; it is sized with the connection pool so that a
        # thread always finds a connection (docs/operations.md, "Capacity").
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        yield

    app = FastAPI(title="mediation-svc", version="0.1.0", lifespan=lifespan,
                  dependencies=[Depends(refuse_out_of_range_integers)],  # 422 for ints beyond 64 bits
                  docs_url=None, redoc_url=None,  # /docs is served with local assets (web/api_docs.py)
                  description="Banking and insurance dispute mediation: cases, rosters, scheduling, agreements, "
                              "PAdES signing and verification.")
    app.state.settings = settings
    app.state.engine = engine
    app.state.keystore = keystore
    app.state.tokens = TokenService(keystore=keystore, audience=settings.token_audience,
                                    issuer=settings.public_base_url)
    # the center's own TSA (POST /tsa) and the TimeStamper every signature uses (ours, or MEDIATION_TSA_URL's)
    app.state.tsa = TimeStampAuthority.from_keystore(keystore)
    app.state.timestamper = timestamper_from_settings(keystore, get_pki_settings())
    metrics = Metrics()
    app.state.metrics = metrics
    install_error_handlers(app)
    # Outermost last: request context, load shedding, body limit, contention retry, then the routes.
    reliability.install(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_upload_bytes)
    reliability.install_shedding(app)
    app.add_middleware(HstsMiddleware, enabled=settings.public_base_url.startswith("https://"))
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    app.add_middleware(reliability.KeepServerReceive)  # outermost: the server's receive, for disconnect checks

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict:
        # On the event loop, not in the thread pool: alive even when every request thread is busy.
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"])
    def readyz() -> JSONResponse:
        checks: dict[str, str] = {"database": reliability.database_takes_a_write(engine, within=1.0)}
        try:
            app.state.tokens.public_pem()
            checks["keys"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["keys"] = f"failed: {exc}"
        checks["fonts"] = "ok" if fonts_available() else "failed: no CJK font (install fonts-noto-cjk)"
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ready" if ready else "not-ready", "checks": checks},
                            status_code=200 if ready else 503)

    @app.get("/metrics", tags=["ops"], include_in_schema=False,
             dependencies=[Depends(require_metrics_reader)])  # a scraper token or an admin
    def metrics_endpoint():
        return metrics.render()

    install_api_docs(app)

    modules = route_modules()
    for module in modules:
        for attr in ("router", "public_router"):
            if hasattr(module, attr):
                app.include_router(getattr(module, attr))
    modules[-1].install(app)  # the pages: static files and HTML error pages
    return app
