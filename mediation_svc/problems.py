"""A problem (RFC 9457, ``errors.DomainError.to_problem``) as the HTTP response: what the error handlers in
``app`` and the middleware in ``reliability`` send alike."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from .errors import PROBLEM_JSON


def problem_response(body: dict, headers: dict | None = None) -> JSONResponse:
    """The problem ``body`` as ``application/problem+json``, with its own status and the given headers."""
    return JSONResponse(body, status_code=body["status"], media_type=PROBLEM_JSON, headers=headers)
