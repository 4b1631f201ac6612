"""The officer's steps that had no page: sending the session notice (调解通知书), and a confirmation with a
summary before each step that cannot be taken back (finalising an agreement, applying the center's seal,
voiding a finalised document).

The steps themselves are the domains' (``scheduling.notice``, ``documents.service``, the signing pages' seal
route); these pages show what is about to happen and hand the form on.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from ..accounts import queries as account_queries
from ..amounts import format_amount
from ..audit.chain import record
from ..cases import queries as case_queries
from ..cases import service as cases
from ..cases.models import Case
from ..db import id_of
from ..deps import SessionDep, SettingsDep, actor_of
from ..documents import service as documents
from ..documents.service import AGREEMENT
from ..errors import NotFound
from ..notifications.models import Channel
from ..notifications.outbox import Attachment, enqueue
from ..scheduling import service as scheduling
from ..scheduling.messages import scheduled
from ..scheduling.notice import notice_document
from ..scheduling.notify import facts_of
from ..signing import service as signing
from ..security.roles import is_staff
from .auth import CsrfChecked, SchedulerPageUser, StaffPageUser
from .forms import FormProblem
from ..i18n.catalogue import translator
from .render import language_of, redirect, render

router = APIRouter(include_in_schema=False)


# --- the session notice ------------------------------------------------------------------------------------

def _session_of(session, case: Case, session_id: int):
    ms = scheduling.get_session_or_404(session, session_id)
    if ms.case_id != case.id:
        raise NotFound(f"session {session_id} not found")
    return ms


def notice_recipients(session, case: Case, ms) -> list[dict]:
    """Everyone the notice goes to: the session's participants, and for an institution that has no contact
    of its own on the session, its contacts (its phone on record, its active accounts)."""
    people = [{"name": p.name, "role": p.role, "email": p.email, "phone": p.phone, "user_id": p.user_id}
              for p in scheduling.participants_of(session, ms.id)]
    institution = case_queries.institution_of(session, institution_id=case.institution_id)
    for person in people:
        if person["role"] != "respondent" or person["email"] or person["phone"] or institution is None:
            continue
        contacts = account_queries.institution_accounts(session, institution_id=id_of(institution))
        contact = next((u for u in contacts if u.email or u.phone), None)
        person["phone"] = (contact.phone if contact else None) or institution.phone
        person["email"] = contact.email if contact else None
        person["user_id"] = contact.id if contact else None
    return people


@router.post("/cases/{case_id}/sessions/{session_id}/notice", dependencies=[CsrfChecked])
def send_notice(request: Request, case_id: int, session_id: int, session: SessionDep, settings: SettingsDep,
                user: SchedulerPageUser) -> Response:
    """Issue the notice PDF of the session's current arrangement and send it to every participant (e-mail
    with the PDF, SMS with the essentials); those without any contact are named back to the officer."""
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id, for_update=True)
    ms = _session_of(session, case, session_id)
    document = notice_document(session, settings, ms=ms, case=case, user=user)
    facts = facts_of(session, settings, ms, case)
    attachment = Attachment(f"调解通知书-{case.id}-{ms.id}.pdf", "application/pdf", document.pdf)
    sent: list[str] = []
    unreachable: list[str] = []
    for person in notice_recipients(session, case, ms):
        subject, body, sms = scheduled(person["name"], facts)
        common = {"kind": "session.notice", "recipient_name": person["name"], "recipient_user_id": person["user_id"],
                  "case_id": case.id, "ref": f"session-notice:{ms.id}:{ms.sequence}",
                  "max_attempts": settings.notification_max_attempts}
        if person["email"]:
            enqueue(session, channel=Channel.EMAIL, recipient=person["email"], subject=subject,
                    body=body + "\n附件为调解通知书（PDF）。\n", attachments=[attachment], **common)
        if person["phone"]:
            enqueue(session, channel=Channel.SMS, recipient=person["phone"], body=sms, **common)
        (sent if person["email"] or person["phone"] else unreachable).append(person["name"])
    record(session, actor=actor_of(user), action="session.notice_sent", subject=f"session:{ms.id}", case_id=case.id,
           payload={"document_id": document.id, "sha256": document.sha256, "recipients": sent,
                    "no_contact": unreachable})
    t = translator(language_of(request))
    missing = t("ok.notice_missing", names="、".join(unreachable)) if unreachable else ""
    return redirect(request, f"/cases/{case.id}#h-sched", ok="notice_sent", n=len(sent), missing=missing)


@router.get("/cases/{case_id}/sessions/{session_id}/notice.pdf")
def notice_pdf(case_id: int, session_id: int, session: SessionDep, settings: SettingsDep,
               user: SchedulerPageUser) -> Response:
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id)
    document = notice_document(session, settings, ms=_session_of(session, case, session_id), case=case, user=user)
    return Response(document.pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="session-{session_id}-notice.pdf"',
                             "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


# --- confirmations before the steps that cannot be taken back ---------------------------------------------

def _confirm(request: Request, user, case: Case, *, step: str, action: str, summary: list[tuple[str, str]],
             fields: dict[str, str], reason: bool = False, back: str) -> Response:
    return render(request, "confirm.html", user=user, case=case, step=step, action=action, summary=summary,
                  fields=fields, ask_reason=reason, back=back)


@router.get("/cases/{case_id}/drafts/{draft_id}/finalise")
def confirm_finalise(request: Request, case_id: int, draft_id: int, session: SessionDep,
                     user: SchedulerPageUser) -> Response:
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id)
    draft = documents.get_draft_or_404(session, case=case, draft_id=draft_id)
    inputs = documents.version_inputs(documents.get_version_or_404(session, draft=draft,
                                                                    version=draft.latest_version))
    t = translator(language_of(request))
    payments = "；".join(f"{p.get('payer', '')} → {p.get('payee', '')} {format_amount(Decimal(str(p['amount'])))}"
                        f"（{p.get('due_date', '')}）" for p in inputs.get("payments") or []) or t("case.none")
    summary = [(t("draft.version_label"), t("draft.version", n=draft.latest_version)),
               (t("draft.summary"), (inputs.get("dispute_summary") or "")[:300]),
               (t("draft.payments"), payments),
               (t("confirm.after"), t("confirm.finalise_after"))]
    return _confirm(request, user, case, step="finalise", action=f"/cases/{case.id}/drafts/{draft.id}/finalise",
                    summary=summary, fields={"version": str(draft.latest_version)},
                    back=f"/cases/{case.id}/draft")


@router.get("/cases/{case_id}/signing/{request_id}/seal")
def confirm_seal(request: Request, case_id: int, request_id: int, session: SessionDep,
                 user: StaffPageUser) -> Response:
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id)
    found = signing.find_request(session, request_id=request_id)
    if found is None or found.case_id != case.id:
        raise NotFound(f"signing request {request_id} not found")
    document = signing.document_of(session, found)
    t = translator(language_of(request))
    summary = [(t("docs.title"), document.title), (t("case.number"), case.number),
               (t("confirm.after"), t("confirm.seal_after"))]
    return _confirm(request, user, case, step="seal", action=f"/cases/{case.id}/signing/{request_id}/seal",
                    summary=summary, fields={}, back=f"/cases/{case.id}#h-docs")


@router.get("/cases/{case_id}/documents/{document_id}/void")
def confirm_void(request: Request, case_id: int, document_id: str, session: SessionDep,
                 user: StaffPageUser) -> Response:
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id)
    document, _ = documents.get_visible_document_or_404(session, user=user, document_id=document_id)
    if document.case_id != case.id:
        raise NotFound(f"document {document_id} not found")
    t = translator(language_of(request))
    summary = [(t("docs.title"), document.title), (t("docs.status"), t(f"docstatus.{document.status}")),
               (t("confirm.after"), t("confirm.void_after"))]
    return _confirm(request, user, case, step="void", action=f"/cases/{case.id}/documents/{document.id}/void",
                    summary=summary, fields={}, reason=True, back=f"/cases/{case.id}#h-docs")


@router.post("/cases/{case_id}/documents/{document_id}/void", dependencies=[CsrfChecked])
def void_document(request: Request, case_id: int, document_id: str, session: SessionDep, settings: SettingsDep,
                  user: StaffPageUser, reason: Annotated[str, Form()] = "") -> Response:
    """Void a finalised agreement (not yet signed by everyone) and open a new draft version from its terms."""
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id, for_update=True)
    document, _ = documents.get_visible_document_or_404(session, user=user, document_id=document_id)
    if document.case_id != case.id:
        raise NotFound(f"document {document_id} not found")
    if not reason.strip():
        raise FormProblem(translator(language_of(request))("confirm.need_reason"))
    signing.supersede_document(session, settings, case=case, document=document, reason=reason.strip(),
                               inputs=None, note=None, actor=user)
    return redirect(request, f"/cases/{case.id}/draft", ok="voided")


def may_void(document, user) -> bool:
    # Only before signing starts: a document out for signing is withdrawn through its signing request.
    return (is_staff(user.role) and str(document.status) == "final"
            and document.kind == AGREEMENT)
