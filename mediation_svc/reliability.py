"""Reliability under load and faults: bounded retry of contention, 503 with Retry-After for a database that
is busy or away, load shedding, the readiness write probe.

The retry is request-level: the unit of work commits before the response starts (``deps.get_db``), so a
deadlock, serialisation failure or lock timeout surfaces as an exception before anything was sent and the
whole request, body replayed, can run again from the start; nothing of the failed attempt was committed.
"""

from __future__ import annotations

import asyncio
import logging
import random
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import sqlalchemy as sa
from fastapi import FastAPI, Request
from sqlalchemy.engine import Engine

from .db import CONTENTION, SATURATED, TIMEOUT, UNAVAILABLE, transient_failure
from .errors import DatabaseBusy, DatabaseUnavailable, DomainError, Overloaded

log = logging.getLogger("mediation_svc.reliability")

ATTEMPT = "mediation.attempt"  # scope key: {"number": n, "retryable": bool}
RETRY_AFTER = {CONTENTION: 1, TIMEOUT: 2, SATURATED: 1, UNAVAILABLE: 5}


def attempt_number(request: Request) -> int:
    return request.scope.get(ATTEMPT, {}).get("number", 0)


class RetryContention:
    """Run a request again, a bounded number of times with jittered backoff, after a contention failure."""

    def __init__(self, app, attempts: int) -> None:
        self.app = app
        self.attempts = attempts

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        body = []
        while True:
            message = await receive()
            body.append(message)
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        for number in range(self.attempts + 1):
            state = {"number": number, "retryable": False, "swallowed": False}
            # The same scope each time (the request log outside reads the route the router puts in it);
            # the router and FastAPI set again what they put there on the failed attempt.
            scope[ATTEMPT] = state
            await self.app(scope, _replay(body, receive), self._guard(send, state, last=number == self.attempts))
            if not state["swallowed"]:
                return
            await asyncio.sleep(0.05 * (2 ** number) * random.uniform(0.5, 1.5))

    @staticmethod
    def _guard(send, state: dict, *, last: bool):
        async def guarded(message):
            if message["type"] == "http.response.start" and state["retryable"] and not last:
                state["swallowed"] = True
            if not state["swallowed"]:
                await send(message)
        return guarded


def _replay(body: list[dict], receive):
    queue = list(body)

    async def replayed():
        return queue.pop(0) if queue else await receive()

    return replayed


class LoadShedding:
    """Answer 503 at once when this worker already has ``limit`` requests in flight.

    Requests beyond the thread pool wait for a thread; a bounded queue of them keeps the service busy
    without letting waits grow into client timeouts. /healthz and /readyz are never shed.
    """

    EXEMPT = ("/healthz", "/readyz", "/metrics")

    def __init__(self, app, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.in_flight = 0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("path") in self.EXEMPT:
            return await self.app(scope, receive, send)
        if self.in_flight >= self.limit:
            from .app import problem_response

            error = Overloaded(f"{self.in_flight} requests are in progress on this worker; try again shortly",
                               retry_after_seconds=1)
            response = problem_response(error.to_problem(scope.get("path")), {"Retry-After": "1"})
            return await response(scope, receive, send)
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


def _database_error(kind: str, exc: BaseException) -> DomainError:
    seconds = RETRY_AFTER[kind]
    if kind == UNAVAILABLE:
        return DatabaseUnavailable("the database cannot be reached; nothing was changed, try again shortly",
                                   retry_after_seconds=seconds)
    if kind == SATURATED:
        return Overloaded("every database connection is in use; nothing was changed, try again shortly",
                          retry_after_seconds=seconds)
    what = "a statement took too long" if kind == TIMEOUT else "other changes held the same records"
    return DatabaseBusy(f"{what}; nothing was changed, try again shortly", retry_after_seconds=seconds)


def install(app: FastAPI) -> None:
    """The database-failure handler (before the catch-all 500) and the retry and shedding middleware."""
    settings = app.state.settings

    async def database_failure(request: Request, exc: Exception):
        kind = transient_failure(exc)
        if kind is None:
            from .security.integers import refused_by_database

            refused = refused_by_database(exc)
            if refused is not None:
                return await app.exception_handlers[DomainError](request, refused)
            return await app.exception_handlers[Exception](request, exc)
        state = request.scope.get(ATTEMPT)
        if kind == CONTENTION and state is not None:
            state["retryable"] = True
        log.warning("database %s on %s %s (attempt %d): %s", kind, request.method, request.url.path,
                    attempt_number(request) + 1, str(exc).splitlines()[0][:200])
        error = _database_error(kind, exc)
        # The DomainError handler in force (web/routes.py's) renders a page for people, problem+json for the API.
        response = await app.exception_handlers[DomainError](request, error)
        response.headers["Retry-After"] = str(error.extensions["retry_after_seconds"])
        return response

    app.add_exception_handler(sa.exc.DBAPIError, database_failure)
    app.add_exception_handler(sa.exc.TimeoutError, database_failure)
    app.add_middleware(RetryContention, attempts=settings.database_retry_attempts)


def install_shedding(app: FastAPI) -> None:
    settings = app.state.settings
    app.add_middleware(LoadShedding, limit=settings.worker_threads + settings.worker_queue)


_probes = ThreadPoolExecutor(max_workers=2, thread_name_prefix="readyz")


def database_takes_a_write(engine: Engine, *, within: float = 1.0) -> str:
    """"ok" when the database commits a one-row write within ``within`` seconds, else why not."""

    def probe() -> None:
        with engine.connect() as conn:
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    ms = int(within * 1000)
                    conn.execute(sa.text(f"SET LOCAL lock_timeout = {ms}"))
                    conn.execute(sa.text(f"SET LOCAL statement_timeout = {ms}"))
                conn.execute(sa.text("UPDATE readiness_probe SET writes = writes + 1 WHERE id = 1"))

    try:
        _probes.submit(probe).result(timeout=within)
    except FutureTimeout:
        return f"failed: no write committed within {within:g} s"
    except Exception as exc:  # noqa: BLE001 - readiness reports any failure
        return f"failed: {type(exc).__name__}"
    return "ok"
