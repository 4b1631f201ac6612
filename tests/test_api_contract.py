"""The API's contract: every JSON endpoint under /api/v1 declares a pydantic response model, so its OpenAPI
schema names the fields and FastAPI checks the shape of what it returns (a bare dict says nothing).

Endpoints that answer with a file (PDF, ZIP, ICS, CSV, XLSX, SVG) and those without a body (204) are the
exceptions; the files are listed below by name, each with what it returns."""

from __future__ import annotations

import types
import typing

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

# (method, path) -> what the endpoint returns instead of JSON
FILE_ENDPOINTS: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/rosters/mediators.csv"): "the mediators roster as CSV",
    ("GET", "/api/v1/rosters/experts.csv"): "the experts roster as CSV",
    ("GET", "/api/v1/sessions/{session_id}/calendar.ics"): "the session as an iCalendar invitation",
    ("GET", "/api/v1/sessions/{session_id}/notice.pdf"): "the session notice (调解通知书) as PDF",
    ("GET", "/api/v1/calendar-feeds/{token}.ics"): "a person's calendar feed (iCalendar, by secret link)",
    ("GET", "/api/v1/cases/{case_id}/drafts/{draft_id}/versions/{version}/preview.pdf"): "a draft's PDF preview",
    ("GET", "/api/v1/documents/{document_id}/pdf"): "the finalised document's PDF",
    ("GET", "/api/v1/signing-requests/{request_id}/document.pdf"): "the signed PDF as it stands",
    ("GET", "/api/v1/sign/session/document"): "the PDF the signer reads before signing",
    ("GET", "/api/v1/verify/code/{code}/original"): "the registered original PDF",
    ("GET", "/api/v1/cases/{case_id}/judicial/package.zip"): "the judicial evidence package (ZIP)",
    ("GET", "/api/v1/cases/{case_id}/evidence/{item_id}/file"): "an evidence item's file",
    ("GET", "/api/v1/statistics/{name}.csv"): "a figure's table as CSV",
    ("GET", "/api/v1/statistics/{name}.svg"): "a figure as an SVG chart",
    ("GET", "/api/v1/complaints/{contact_id}/attachments/{attachment_id}"): "an attachment (PDF, PNG, JPEG)",
    ("GET", "/api/v1/complaint-reports/{month}.{fmt}"): "the monthly report as XLSX or CSV",
    ("POST", "/api/v1/self/cases/{number}/documents/{document_id}/download"): "the consumer's document (PDF)",
    ("GET", "/api/v1/self/cases/{number}/evidence/{item_id}/file"): "the consumer's own evidence file",
}


def _is_model(annotation: object) -> bool:
    """A pydantic model, or a list / tuple / union of them (None allowed in a union)."""
    if isinstance(annotation, type):
        return issubclass(annotation, BaseModel)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (list, tuple, typing.Union, types.UnionType) and args:
        return all(a is type(None) or a is Ellipsis or _is_model(a) for a in args)
    return False


def api_routes(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    """(method, path, route) of every API route the app serves under /api/v1 (routers included, flattened)."""
    found = []
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, context.path or ""
        if isinstance(route, APIRoute) and path.startswith("/api/v1"):
            found.extend((method, path, route) for method in sorted(route.methods))
    return found


def json_routes(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    """The API routes that answer with a JSON body: not a listed file endpoint, not a 204 without a body."""
    return [(method, path, route) for method, path, route in api_routes(app)
            if route.status_code != 204 and (method, path) not in FILE_ENDPOINTS]


def untyped_endpoints(app: FastAPI) -> list[str]:
    """The JSON endpoints under /api/v1 whose response model is missing or says nothing (dict, list[dict])."""
    return [f"{method} {path} ({route.endpoint.__module__}.{route.endpoint.__name__}): "
            f"response model {route.response_model!r}"
            for method, path, route in json_routes(app) if not _is_model(route.response_model)]


def test_the_app_serves_its_api(app):
    # The checks below walk these routes: an empty walk would pass them all.
    assert len(api_routes(app)) > 150
    assert ("GET", "/api/v1/cases/{case_id}") in {(method, path) for method, path, _route in api_routes(app)}


def test_every_json_endpoint_declares_a_response_model(app):
    assert untyped_endpoints(app) == []


def test_the_file_endpoints_listed_exist(app):
    # A renamed or removed file endpoint leaves a stale exception behind: drop it here.
    present = {(method, path) for method, path, _route in api_routes(app)}
    assert sorted(set(FILE_ENDPOINTS) - present) == []


def test_every_json_endpoint_documents_its_fields(app):
    """The OpenAPI answer of each JSON endpoint refers to a component schema (its fields), never a bare object."""
    schema = app.openapi()
    bare = []
    for method, path, route in json_routes(app):
        answer = schema["paths"][path][method.lower()]["responses"][str(route.status_code or 200)]
        body = answer.get("content", {}).get("application/json", {}).get("schema", {})
        if "$ref" not in repr(body):
            bare.append(f"{method} {path}: {body}")
    assert bare == []


def test_the_check_finds_a_bare_dict():
    router = APIRouter(prefix="/api/v1")

    class Named(BaseModel):
        name: str

    @router.get("/bare")
    def bare() -> dict:
        return {"name": "x"}

    @router.get("/rows")
    def rows() -> list[dict]:
        return []

    @router.get("/typed", response_model=Named)
    def typed() -> Named:
        return Named(name="x")

    @router.get("/either", response_model=Named | list[Named])
    def either() -> Named | list[Named]:
        return []

    @router.delete("/gone", status_code=204)
    def gone() -> None:
        return None

    app = FastAPI()
    app.include_router(router)
    found = untyped_endpoints(app)
    assert [f.split(" (")[0] for f in found] == ["GET /api/v1/bare", "GET /api/v1/rows"]


def test_a_typed_endpoint_keeps_its_fields(client, make_user, auth, make_case):
    """What a typed endpoint answers is exactly its model's fields (the court share, as before: no more, no less)."""
    officer = make_user("case_officer")
    court = make_user("court")
    case = make_case(officer=officer)
    r = client.post(f"/api/v1/cases/{case.id}/shares", json={"court_user_id": court.id, "days": 30},
                    headers=auth(officer))
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"id", "case_id", "court_user_id", "expires_at"}
    assert (body["case_id"], body["court_user_id"]) == (case.id, court.id)
