"""A case's audit trail as a timeline in words (时间、操作人、做了什么、对象、变化前后), on a page and as a PDF: the
rows are ``audit.timeline``'s (built on the audit log's public read functions and the catalogue's words); this
module chooses who sees how much (``security.access``) and reads the page's filters. The raw entry (canonical
JSON, hashes) stays one click away for a technical reader.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ..cases import service as cases
from ..deps import SessionDep
from ..errors import NotFound
from ..security import access
from ..audit.timeline import GROUPS, Filters, render_timeline_pdf, timeline
from .auth import PageUser
from .render import language_of, render

router = APIRouter(include_in_schema=False)

def _filters(who: str, what: str, start: date | None, end: date | None) -> Filters:
    return Filters(who=who if who.startswith("user:") or who in ("signer", "system") else "",
                   what=what if what in (*GROUPS, "other") else "", start=start, end=end)


@router.get("/cases/{case_id}/audit")
def audit_page(request: Request, case_id: int, session: SessionDep, user: PageUser, who: str = "", what: str = "",
               start: date | None = Query(None, alias="from"), end: date | None = Query(None, alias="to")) -> Response:
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id)
    # parties see that their case moved, not who inside the center did what (security.access, one rule)
    full = access.require(user, access.Obj.AUDIT_TRAIL) == access.View.FULL
    filters = _filters(who, what, start, end)
    data = timeline(session, case, language_of(request), filters)
    return render(request, "audit.html", user=user, case=case, full=full, filters=filters, **data)


@router.get("/cases/{case_id}/audit.pdf")
def audit_pdf(request: Request, case_id: int, session: SessionDep, user: PageUser) -> Response:
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id)
    if access.require(user, access.Obj.AUDIT_TRAIL) != access.View.FULL:
        raise NotFound("the audit trail as a PDF is for the center and courts")
    data = timeline(session, case, "zh-CN")
    pdf = render_timeline_pdf(case=case, rows=data["rows"], chain=data["chain"])
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="audit-case-{case.id}.pdf"',
                             "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})

