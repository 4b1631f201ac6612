"""Reliability under load and faults: bounded retry of contention, 503 with Retry-After for a database that
is busy or away, load shedding, the readiness write probe.

The retry is request-level: the unit of work commits before the response starts (``deps.get_db``), so a
deadlock, serialisation failure or lock timeout surfaces as an exception before anything was sent and the
whole request, body replayed, can run again from the start; nothing of the failed attempt was committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import anyio
import sqlalchemy as sa
from fastapi import Depends, FastAPI, Request, Response
from sqlalchemy.engine import Engine

from .db import CONTENTION, SATURATED, TIMEOUT, UNAVAILABLE, duplicate_key, transient_failure
from .errors import ClientDisconnected, ConcurrentChange, DatabaseBusy, DatabaseUnavailable, DomainError, Overloaded
from .problems import problem_response

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
    """Admission control per worker: ``running`` requests at once, up to ``queue`` more waiting at most
    ``max_wait`` seconds for a turn; anything beyond is answered 503 ``overloaded`` with Retry-After at once.

    A bound on the number waiting alone is not enough: how fast a queue drains depends on the cores the
    machine has free, and at 200 clients on a busy 2-core machine a queue of 24 meant several seconds of
    waiting and client timeouts (bench/load.py). A request that would wait longer than ``max_wait`` is
    better told to come back. ``running`` equals the thread pool, so an admitted request never waits for a
    thread (or, holding at most one, for a connection). /healthz, /readyz and /metrics are never shed.
    """

    EXEMPT = ("/healthz", "/readyz", "/metrics")

    def __init__(self, app, running: int, queue: int, max_wait: float) -> None:
        self.app = app
        self.running, self.queue, self.max_wait = running, queue, max_wait
        self.waiting = 0
        self._slots: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None

    def slots(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots[0] is not loop:  # a test may serve one app from several loops
            self._slots = (loop, asyncio.Semaphore(self.running))
        return self._slots[1]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("path") in self.EXEMPT:
            return await self.app(scope, receive, send)
        slots = self.slots()
        if slots.locked():
            if self.waiting >= self.queue:
                return await self._shed(scope, receive, send, f"{self.running} requests are in progress and "
                                        f"{self.waiting} waiting on this worker")
            self.waiting += 1
            try:
                await asyncio.wait_for(slots.acquire(), self.max_wait)
            except TimeoutError:
                return await self._shed(scope, receive, send, f"no request slot of this worker came free "
                                        f"within {self.max_wait:g} s")
            finally:
                self.waiting -= 1
        else:
            await slots.acquire()
        try:
            await self.app(scope, receive, send)
        finally:
            slots.release()

    @staticmethod
    async def _shed(scope, receive, send, why: str) -> None:
        error = Overloaded(f"{why}; try again shortly", retry_after_seconds=1)
        response = problem_response(error.to_problem(scope.get("path")), {"Retry-After": "1"})
        await response(scope, receive, send)


class Bulkhead:
    """At most ``limit`` requests of one kind at once in this worker (a bulkhead); the next gets 503 at once.

    For work that queues on one database row, such as intakes on the year's case-number counter: without it,
    waiting intakes take every request thread of the worker and the reads behind them time out (issue 16).
    A dependency on the event loop, so a refused request never waits for a thread; the slot is given back
    when the request is over, after its commit.
    """

    def __init__(self, name: str, setting: str) -> None:
        self.name, self.setting = name, setting
        self.in_flight: dict[int, int] = {}  # per app (a test process may run several)

    async def __call__(self, request: Request):
        app_id = id(request.app)
        limit = getattr(request.app.state.settings, self.setting)
        if self.in_flight.get(app_id, 0) >= limit:
            raise Overloaded(f"{limit} {self.name} are in progress on this worker; try again shortly",
                             retry_after_seconds=1)
        self.in_flight[app_id] = self.in_flight.get(app_id, 0) + 1
        try:
            yield
        finally:
            self.in_flight[app_id] -= 1


async def abandon_if_client_gone(request: Request) -> None:
    """A dependency for expensive endpoints (rendering, verification, signing): if the client has already
    disconnected (uvicorn says so once the socket closed, e.g. a phone that gave up while the request waited
    for its turn), stop before the work starts, with nothing changed, and count it.

    On the event loop, after FastAPI has read the body (cached on the request for the endpoint), so the next
    message from the server can only be the disconnect. A client that leaves during the work is not stopped:
    a signature half made is rolled back by its transaction anyway, and the work is bounded by its timeouts.
    """
    # an endpoint without a body parameter: drain the (empty) body first; RuntimeError: the form was parsed from
    # the stream, the body has been read already
    with contextlib.suppress(RuntimeError):
        await request.body()
    if await _client_gone(request):
        route = getattr(request.scope.get("route"), "path", "unmatched")
        request.app.state.metrics.abandoned.labels(route).inc()
        log.info("client gone before %s %s started: abandoned", request.method, route)
        raise ClientDisconnected("the client disconnected before the work began; nothing was done")


ClientPresent = Depends(abandon_if_client_gone)


SERVER_RECEIVE = "mediation.server_receive"


class KeepServerReceive:
    """The outermost middleware: keeps the server's own ``receive`` in the scope for ``_client_gone``."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            scope[SERVER_RECEIVE] = receive
        await self.app(scope, receive, send)


async def _client_gone(request: Request) -> bool:
    # Asked of the server itself, with a scope already cancelled: a disconnect the server has seen comes back
    # at once, and a client still there costs nothing. (Request.is_disconnected() asks through the request
    # log's BaseHTTPMiddleware, whose receive never answers inside a cancelled scope.) After the body, the
    # only message left to receive is the disconnect, so nothing is taken from the app.
    receive = request.scope.get(SERVER_RECEIVE, request.receive)
    message: dict = {}
    with anyio.CancelScope() as scope:
        scope.cancel()
        message = await receive()
    return message.get("type") == "http.disconnect"


# Intakes (API and form) take the year's case-number counter: gap-free numbers mean one at a time.
intake_bulkhead = Bulkhead("intakes", "intake_concurrency")


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


async def _handled(app: FastAPI, handler_for: type[Exception], request: Request, exc: Exception) -> Response:
    """The response of the exception handler registered for ``handler_for`` (Starlette's may be sync or async)."""
    response = app.exception_handlers[handler_for](request, exc)
    if isinstance(response, Response):
        return response
    return await response


def install(app: FastAPI) -> None:
    """The database-failure handler (before the catch-all 500) and the retry and shedding middleware."""
    settings = app.state.settings

    async def database_failure(request: Request, exc: Exception):
        kind = transient_failure(exc)
        if kind is None and duplicate_key(exc):
            # Two requests that each checked and then inserted the same key (a double click): run it again,
            # it then sees the other's row; if it meets the key again, 409 rather than a 500.
            state = request.scope.get(ATTEMPT)
            if state is not None:
                state["retryable"] = True
            log.warning("unique constraint on %s %s (attempt %d): %s", request.method, request.url.path,
                        attempt_number(request) + 1, str(exc).splitlines()[0][:200])
            return await _handled(app, DomainError, request, ConcurrentChange(
                "another change to the same record was made at the same moment; nothing was changed, reload "
                "and try again"))
        if kind is None:
            from .errors import InvalidInput
            from .security.integers import refused_by_database

            refused: InvalidInput | None = refused_by_database(exc)
            if refused is None and isinstance(exc, sa.exc.DataError):
                # Another value the column cannot hold (a string too long...): the input's fault, not a 500.
                refused = InvalidInput("a value is outside what the database can store for it; nothing was changed")
            if refused is not None:
                return await _handled(app, DomainError, request, refused)
            return await _handled(app, Exception, request, exc)
        state = request.scope.get(ATTEMPT)
        if kind == CONTENTION and state is not None:
            state["retryable"] = True
        log.warning("database %s on %s %s (attempt %d): %s", kind, request.method, request.url.path,
                    attempt_number(request) + 1, str(exc).splitlines()[0][:200])
        error = _database_error(kind, exc)
        # The DomainError handler in force (web/routes.py's) renders a page for people, problem+json for the API.
        response = await _handled(app, DomainError, request, error)
        response.headers["Retry-After"] = str(error.extensions["retry_after_seconds"])
        return response

    app.add_exception_handler(sa.exc.DBAPIError, database_failure)
    app.add_exception_handler(sa.exc.TimeoutError, database_failure)
    app.add_middleware(RetryContention, attempts=settings.database_retry_attempts)


def install_shedding(app: FastAPI) -> None:
    settings = app.state.settings
    app.add_middleware(LoadShedding, running=settings.worker_threads, queue=settings.worker_queue,
                       max_wait=settings.worker_queue_wait_seconds)


_probes = ThreadPoolExecutor(max_workers=2, thread_name_prefix="readyz")


def database_takes_a_write(engine: Engine, *, within: float = 1.0) -> str:
    """"ok" when the database commits a one-row write within ``within`` seconds, else why not."""

    def probe() -> None:
        with engine.connect() as conn, conn.begin():
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
