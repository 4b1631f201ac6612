"""Structured JSON logs with request ids, and Prometheus metrics."""

from __future__ import annotations

import contextvars
import logging
import sys
import time
import uuid

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from pythonjsonlogger.json import JsonFormatter
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import Response

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


def configure_logging(level: str = "INFO", json_logs: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    if json_logs:
        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                                           rename_fields={"asctime": "time", "levelname": "level"},
                                           json_ensure_ascii=False))  # Chinese stays readable in the logs
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    root = logging.getLogger("mediation_svc")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("http_requests_total", "HTTP requests", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("http_request_duration_seconds", "HTTP request latency", ["method", "route"],
                                 registry=self.registry)
        # Requests abandoned because their client disconnected before the expensive work began (issue 16).
        self.abandoned = Counter("mediation_requests_abandoned_total", "Requests abandoned: client gone",
                                 ["route"], registry=self.registry)

    def render(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


# Path parameters that are secrets (signing links, calendar feeds, verification codes): never logged.
SECRET_PATH_PARAMS = frozenset({"token", "code", "rest"})  # rest: catch-all routes under old links


def loggable_path(request: Request) -> str:
    """The request's path with secret path parameters replaced, so request logs hold no bearer secrets.
    A path no route matched keeps only its first segment (an old or mistyped link may still carry a secret).
    (The query string is never logged.)"""
    path = request.url.path
    if request.scope.get("route") is None:
        first, _, rest = path.lstrip("/").partition("/")
        return f"/{first}/{{unmatched}}" if rest else f"/{first}"
    for name, value in (request.scope.get("path_params") or {}).items():
        if name in SECRET_PATH_PARAMS and value:
            path = path.replace(str(value), f"{{{name}}}")
    return path


class RequestContextMiddleware(BaseHTTPMiddleware):
    def __init__(self, app, metrics: Metrics) -> None:
        super().__init__(app)
        self.metrics = metrics
        self.log = logging.getLogger("mediation_svc.http")

    async def dispatch(self, request: Request, call_next):
        request_id = request.headers.get("x-request-id", "")[:64] or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            response.headers["X-Request-ID"] = request_id
            return response
        finally:
            elapsed = time.perf_counter() - started
            route = request.scope.get("route")
            route_path = getattr(route, "path", "unmatched")
            self.metrics.requests.labels(request.method, route_path, str(status)).inc()
            self.metrics.latency.labels(request.method, route_path).observe(elapsed)
            self.log.info("request", extra={"method": request.method, "path": loggable_path(request),
                                            "status": status, "ms": round(elapsed * 1000, 1)})
            request_id_var.reset(token)
