"""Statistics API: every figure as JSON, and each one as CSV and as a server-generated SVG chart.

Staff only (admin, case_officer). Mediators are refused (403): the figures show every mediator's load and
the whole center's amounts, more than one mediator's work needs; their own cases are on their dashboard.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ..deps import SessionDep, StaffUser
from . import service
from .schemas import StatisticsRead

router = APIRouter(prefix="/api/v1", tags=["statistics"])

Lang = Literal["zh", "en"]


def _period(start: date | None, end: date | None) -> tuple[date, date]:
    default_start, default_end = service.default_period()
    return start or default_start, end or default_end


@router.get("/statistics", response_model=StatisticsRead)
def statistics(session: SessionDep, user: StaffUser, start: date | None = None, end: date | None = None,
               lang: Lang = "zh") -> StatisticsRead:
    """All figures for the period (default: the twelve months up to today, Shanghai dates)."""
    start, end = _period(start, end)
    return service.overview(session, start=start, end=end, lang=lang)


@router.get("/statistics/{name}.csv")
def statistics_csv(name: str, session: SessionDep, user: StaffUser, start: date | None = None,
                   end: date | None = None, lang: Lang = "zh") -> Response:
    start, end = _period(start, end)
    fig = service.figure(session, name, start=start, end=end, lang=lang)
    return Response(service.figure_csv(fig), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}_{start}_{end}.csv"'})


@router.get("/statistics/{name}.svg")
def statistics_svg(name: str, session: SessionDep, user: StaffUser, start: date | None = None,
                   end: date | None = None, lang: Lang = Query("zh")) -> Response:
    start, end = _period(start, end)
    fig = service.figure(session, name, start=start, end=end, lang=lang)
    # The chart is a standalone image: no scripts, and the CSP keeps it that way if opened directly.
    return Response(service.figure_svg(fig), media_type="image/svg+xml",
                    headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
                             "X-Content-Type-Options": "nosniff"})
