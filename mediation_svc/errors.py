"""Domain errors and their mapping to RFC 9457 ``application/problem+json``.

Services raise these; one handler in ``app.py`` turns them into responses. Each error has a stable
``type`` URI that clients may branch on; ``title`` is a short human summary, ``detail`` the specifics.
"""

from __future__ import annotations

from typing import Any

PROBLEM_BASE = "urn:mediation-svc:problem:"
PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extensions = extensions

    @property
    def type(self) -> str:
        return PROBLEM_BASE + self.slug

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        return problem(self.status, self.slug, self.title, self.detail, instance, **self.extensions)


def problem(status: int, slug: str, title: str, detail: str | None = None,
            instance: str | None = None, **extensions: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": PROBLEM_BASE + slug, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extensions)
    return body


class NotFound(DomainError):
    status, slug, title = 404, "not-found", "Not found"


class Unauthenticated(DomainError):
    status, slug, title = 401, "unauthenticated", "Authentication required"


class Forbidden(DomainError):
    status, slug, title = 403, "forbidden", "Not allowed"


class Conflict(DomainError):
    status, slug, title = 409, "conflict", "Conflict"


class InvalidTransition(Conflict):
    slug, title = "invalid-transition", "This change of state is not allowed"


class ConcurrentChange(Conflict):
    """Another transaction wrote the same key at the same moment (a unique constraint met), and the request,
    run again, met it again: nothing was changed (``reliability``)."""

    slug, title = "concurrent-change", "Changed by another request at the same moment"


class InvalidInput(DomainError):
    status, slug, title = 422, "invalid-input", "Invalid input"


class TooManyRequests(DomainError):
    status, slug, title = 429, "rate-limited", "Too many attempts"


class PayloadTooLarge(DomainError):
    status, slug, title = 413, "payload-too-large", "Upload too large"


class EmptyUpload(InvalidInput):
    """An upload with no bytes (a verification, evidence, an attachment): one type, one status, everywhere."""

    slug, title = "empty-upload", "The upload is empty"


class UnsupportedMediaType(DomainError):
    """The body is not of a type the endpoint takes; the detail says which it takes."""

    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class ServiceUnavailable(DomainError):
    status, slug, title = 503, "service-unavailable", "A required service is unavailable"


class DatabaseBusy(ServiceUnavailable):
    """Contention that outlasted the retries (deadlock, lock timeout, serialisation failure, SQLite busy)."""

    slug, title = "database-busy", "The service is busy"


class DatabaseUnavailable(ServiceUnavailable):
    slug, title = "database-unavailable", "The database is unavailable"


class ClientDisconnected(DomainError):
    """The client went away before the expensive part of its request began: abandoned, nothing changed.

    499 is nginx's "client closed request"; nobody receives it, but the request log and the metrics show it."""

    status, slug, title = 499, "client-closed-request", "The client closed the request"


class Overloaded(ServiceUnavailable):
    """Load shedding: every request thread is taken and the queue is full."""

    slug, title = "overloaded", "The service is overloaded"


def invalid_input_from(exc: Any) -> InvalidInput:
    """A pydantic ``ValidationError`` raised inside a service, as the API's 422: its first message as the detail
    and every problem with its place in the body (``loc``), its message and its type, as FastAPI reports them."""
    problems = exc.errors()
    return InvalidInput(str(problems[0].get("msg", "invalid")) if problems else "invalid input", errors=[
        {"loc": ["body", *[str(p) for p in e.get("loc", ())]], "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in problems])
