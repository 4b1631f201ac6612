"""The center's statistics page: every figure of ``mediation_svc.statistics.service`` as its server-made SVG
chart, the numbers as a table underneath (the chart's text alternative), and a CSV link. Staff only, as
the statistics API is. The chart and CSV are served here too, so that the page's cookie session suffices."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from ..deps import SessionDep
from ..statistics import service
from ..statistics.service import Figure
from .auth import StaffPageUser
from .render import language_of, render

router = APIRouter(include_in_schema=False)


def _lang(request: Request) -> str:
    return "en" if language_of(request) == "en" else "zh"


def _period(start: date | None, end: date | None) -> tuple[date, date]:
    default_start, default_end = service.default_period()
    start, end = start or default_start, end or default_end
    service.check_period(start, end)
    return start, end


def _figure(request: Request, session: Session, name: str, start: date | None,
            end: date | None) -> tuple[Figure, date, date]:
    """One figure, in the reader's language, over the period asked for (or the default one), and that period."""
    start, end = _period(start, end)
    return service.figure(session, name, start=start, end=end, lang=_lang(request)), start, end


@router.get("/statistics")
def statistics_page(request: Request, session: SessionDep, user: StaffPageUser, start: date | None = None,
                    end: date | None = None) -> Response:
    start, end = _period(start, end)
    figures = [service.figure(session, name, start=start, end=end, lang=_lang(request)) for name in service.FIGURES]
    return render(request, "statistics.html", user=user, figures=figures, start=start, end=end,
                  query=f"start={start.isoformat()}&end={end.isoformat()}&lang={_lang(request)}")


@router.get("/statistics/{name}.svg")
def chart(request: Request, name: str, session: SessionDep, user: StaffPageUser, start: date | None = None,
          end: date | None = None) -> Response:
    fig, _, _ = _figure(request, session, name, start, end)
    return Response(service.figure_svg(fig), media_type="image/svg+xml",
                    headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
                             "X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=60"})


@router.get("/statistics/{name}.csv")
def numbers(request: Request, name: str, session: SessionDep, user: StaffPageUser, start: date | None = None,
            end: date | None = None) -> Response:
    fig, start, end = _figure(request, session, name, start, end)
    return Response(service.figure_csv(fig), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}_{start}_{end}.csv"'})
