"""On the case page, what the consumer brought: their messages (answered from here) and the case's evidence
(downloaded from here, shared with the court by officers). The rules are ``cases.messages`` and ``evidence``'s."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from ..accounts.models import User
from ..cases import messages
from ..cases import service as cases
from ..cases.models import Case
from ..deps import SessionDep, SettingsDep
from ..audit.chain import actor_of
from ..errors import DomainError, Forbidden
from ..evidence import policy as evidence_policy
from ..evidence import service as evidence
from ..evidence.routes import UploadDep
from ..evidence.routes import download as evidence_download
from .auth import CsrfChecked, PageUser
from ..i18n.labels import label
from .render import language_of, redirect

router = APIRouter(include_in_schema=False)


def context(session, case: Case, user: User) -> dict:
    """The thread (for those who may answer it) and the evidence (for those who may see it) of the case page."""
    may_talk = messages.may_talk(role=user.role, is_case_mediator=case.mediator_user_id == user.id)
    view = evidence_policy.staff_view(user.role)
    return {"thread": messages.thread(session, case=case) if may_talk else None, "may_talk": may_talk,
            "evidence": evidence.for_staff(session, case=case, user=user) if view else None,
            "may_share": user.role in evidence_policy.SHARERS, "may_upload": view == evidence_policy.ALL}


@router.post("/cases/{case_id}/messages", dependencies=[CsrfChecked])
def reply(case_id: int, request: Request, session: SessionDep, settings: SettingsDep, user: PageUser,
          text: Annotated[str, Form(max_length=4000)] = "") -> Response:
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id)
    try:
        with session.begin_nested():
            messages.from_center(session, settings, case=case, user=user, text=text)
    except DomainError:
        return redirect(request, f"/cases/{case_id}#h-thread", ok="thread_empty")
    return redirect(request, f"/cases/{case_id}#h-thread", ok="thread_sent")


@router.get("/cases/{case_id}/evidence/{item_id}")
def evidence_file(case_id: int, item_id: int, session: SessionDep, user: PageUser) -> Response:
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id)
    return evidence_download(evidence.item_of(session, case=case, item_id=item_id, user=user))


@router.post("/cases/{case_id}/evidence/{item_id}/share", dependencies=[CsrfChecked])
def share(case_id: int, item_id: int, request: Request, session: SessionDep, user: PageUser,
          shared: Annotated[str, Form(max_length=5)] = "") -> Response:
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id)
    evidence.share(session, case=case, item_id=item_id, shared=shared == "1", actor=user)
    return redirect(request, f"/cases/{case_id}#h-evidence", ok="evidence_shared" if shared == "1"
                    else "evidence_unshared")


@router.post("/cases/{case_id}/evidence", dependencies=[CsrfChecked])
def upload(case_id: int, request: Request, session: SessionDep, settings: SettingsDep, user: PageUser,
           upload: UploadDep) -> Response:
    """Staff add evidence to the case (a scan of a paper form at intake, a document a party brought)."""
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id)
    if evidence_policy.staff_view(user.role) != evidence_policy.ALL:
        raise Forbidden("只有调解中心工作人员和本案调解员可以添加证据 (only the center's staff and the mediator add evidence)")
    try:
        with session.begin_nested():
            item = evidence.add(session, settings=settings, case=case, uploaded_by=actor_of(user), side="staff",
                                filename=upload.filename, data=upload.data, description=upload.description)
    except DomainError as exc:
        return redirect(request, f"/cases/{case_id}#h-evidence", ok="evidence_refused",
                        reason=label("error", exc.slug, language_of(request)))
    return redirect(request, f"/cases/{case_id}#h-evidence", ok="evidence_added", name=item.filename)
