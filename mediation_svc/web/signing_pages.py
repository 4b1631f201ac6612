"""Signing on the case page (staff): the request and its signers' progress, opening a request, the letters of
authority, resending a link, the center's seal, and the signed PDF of a document. The signer's own pages (parties
on phones, the mediator's code from the console) are in ``signer_pages``.

The rules live in ``mediation_svc.signing``; these pages only call it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic_core import PydanticCustomError

from ..audit.chain import actor_of
from ..cases import service as cases
from ..cases.models import Case
from ..complaints.institutions import signer_choices
from ..db import id_of, utcnow
from ..deps import KeyStoreDep, SessionDep, SettingsDep, TokensDep, get_timestamper
from ..documents import queries as document_queries
from ..documents import service as documents
from ..errors import Conflict, InvalidInput, NotFound
from ..phones import normalise_mobile
from ..security.roles import Role, is_staff
from ..signing import service as signing
from .auth import CsrfChecked, PageUser, StaffPageUser
from .forms import message
from ..i18n.catalogue import translator
from .render import redirect

router = APIRouter(include_in_schema=False)


# --- the case page: progress and the officer's steps --------------------------------------------------------

def _requests_shown(session, case: Case) -> list:
    """The requests the case page shows: every active one (the agreement's first; a session record's may run beside
    it), or else the latest, so that a finished or stopped signing still says how it ended."""
    requests = signing.requests_of_case(session, case_id=id_of(case))
    active = [r for r in requests if r.status in signing.ACTIVE]
    if not active:
        return requests[:1]
    kinds = {r.id: signing.document_of(session, r).kind for r in active}
    return sorted(active, key=lambda r: (kinds[r.id] != "agreement", -r.id))


def _panel(session, request, user, t, *, staff: bool, number: int) -> dict:
    """One request's panel: its document, state and signers, and the steps open to this user on it."""
    signers = []
    timeline = signer_timeline(session, request, t)
    for p in signing.participants_of(session, request.id):
        signers.append({"id": p.id, "name": p.name, "role": p.role_label, "on_behalf_of": p.on_behalf_of,
                        "kind": p.kind, "status": p.status, "status_label": t(f"sign.status.{p.status}"),
                        "needs_letter": p.kind == "representative" and p.authorisation_checked_at is None,
                        "can_resend": staff and request.status == "open" and p.status == "pending"
                        and p.kind not in ("seal", "mediator"),
                        "console_sign": request.status == "open" and p.status == "pending"
                        and p.kind == "mediator" and p.user_id == user.id,
                        "timeline": timeline.get(id_of(p), []) if staff or user.role == Role.MEDIATOR else [],
                        "has_letter": p.authorisation_doc is not None,
                        "declined_reason": p.declined_reason if staff or user.role == Role.MEDIATOR else None})
    seal = next((s for s in signers if s["kind"] == "seal"), None)
    return {"request": request, "request_status": t(f"sign.request.{request.status}"),
            "request_title": signing.document_of(session, request).title, "signers": signers,
            "id_suffix": "" if number == 0 else f"-{number + 1}",  # the first panel keeps the plain ids
            "awaiting_letters": request.status == "awaiting_authorisation",
            "seal_ready": staff and request.status == "open" and seal is not None and seal["status"] == "pending"}


def progress(session, case: Case, user, language: str) -> dict:
    """What the case page shows about signing: a panel per request shown (``_requests_shown``), and the form to
    open signing on a finalised document that has no active request."""
    t = translator(language)
    staff = is_staff(user.role)
    may_open = staff or (user.role == Role.MEDIATOR and case.mediator_user_id == user.id)
    panels = [_panel(session, r, user, t, staff=staff, number=i)
              for i, r in enumerate(_requests_shown(session, case))]
    busy = signing.documents_in_signing(session, case_id=id_of(case))
    # signed from the case page: the agreement and the session records (the joint application has its own page)
    finals = [d for d in document_queries.final_documents(session, case_id=id_of(case),
                                                          kinds=("agreement", "session_record")) if d.id not in busy]
    institutions = [p for p in cases.parties_of(session, id_of(case)) if p.kind == "institution"]
    first = panels[0] if panels else {"request": None, "request_status": None, "request_title": None, "signers": [],
                                      "id_suffix": "", "awaiting_letters": False, "seal_ready": False}
    return {**first, "others": panels[1:], "may_open": may_open and bool(finals), "documents": finals,
            "institutions": institutions, "staff": staff,
            "rep_choices": representative_choices(session, case, institutions)}


# audit action -> timeline label (sign.event.*); a failed check that locked is shown as "locked"
TIMELINE_EVENTS = {"signing.link_issued": "sent", "signing.link_opened": "opened", "signing.code_sent": "code",
                   "signing.identity_verified": "verified", "signing.consent_given": "consent",
                   "signing.key_certified": "key", "signing.signed": "signed", "signing.declined": "declined",
                   "signing.identity_failed": "failed", "signing.reminded": "reminded",
                   "signing.effect_announced": "told"}


def signer_timeline(session, request, t) -> dict[int, list[dict]]:
    """Per signer, what happened when (from the request's audit entries), for the officers' case page."""
    entries = signing.request_trail(session, request_id=id_of(request))
    out: dict[int, list[dict]] = {}
    for entry in entries:
        kind = TIMELINE_EVENTS.get(entry.action)
        if kind is None:
            continue
        payload = json.loads(entry.payload) if isinstance(entry.payload, str) else (entry.payload or {})
        ids = payload.get("participant_ids") or ([payload["participant_id"]] if payload.get("participant_id")
                                                 else payload.get("told") or [])
        if kind == "failed" and payload.get("locked"):
            kind = "locked"
        for pid in ids:
            if pid is not None:
                out.setdefault(pid, []).append({"label": t(f"sign.event.{kind}"), "at": entry.at})
        if kind == "declined":  # the others were told by SMS that the signing stopped
            for pid in payload.get("told") or []:
                out.setdefault(pid, []).append({"label": t("sign.event.told_declined"), "at": entry.at})
    return out


def signed_pdf_url(session, document) -> str | None:
    # Only a completed request makes "the signed document" (signing.service.signed_pdf).
    has = signing.has_completed_signature(session, document_id=document.id)
    return f"/documents/{document.id}/signed.pdf" if has else None


def deadline_from(form) -> datetime:
    days = int(str(form.get("days") or "7")) if str(form.get("days") or "7").isdigit() else 0
    if not 1 <= days <= 60:
        raise InvalidInput("the signing deadline is 1 to 60 days away")
    return utcnow() + timedelta(days=days)


def representatives_from(form, session, case: Case) -> list:
    """Who signs for each institution party, from the form: ``rep_<party>_choice`` (one of the institution's
    accounts, ``account:<id>``, or a person an account named, ``nomination:<id>``), or, for an institution
    not on the platform, the officer's rep_<party>_name / _phone / _id fields."""
    reps = []
    for party in cases.parties_of(session, id_of(case)):
        if party.kind != "institution":
            continue
        choice = str(form.get(f"rep_{party.id}_choice", "")).strip()
        kind, _, chosen = choice.partition(":")
        id_number = str(form.get(f"rep_{party.id}_id", "")).strip() or None
        if kind in ("account", "nomination") and chosen.isdigit():
            reps.append(signing.RepresentativeSpec(
                party_id=id_of(party), id_number=id_number,
                account_user_id=int(chosen) if kind == "account" else None,
                nomination_id=int(chosen) if kind == "nomination" else None))
            continue
        name, phone = str(form.get(f"rep_{party.id}_name", "")).strip(), str(form.get(f"rep_{party.id}_phone", "")).strip()
        if not name or not phone:
            raise InvalidInput(f"name the representative who signs for {party.name}, with a phone number")
        reps.append(signing.RepresentativeSpec(party_id=id_of(party), name=name, phone=phone, id_number=id_number))
    return reps


def representative_choices(session, case: Case, institutions: list) -> dict:
    """For each institution party: its accounts and the people they named for this case (the form's select)."""
    return {p.id: signer_choices(session, case=case, institution_id=p.institution_id) for p in institutions}


def phone_errors(representatives: list, language: str) -> dict[str, str]:
    """{form field: the problem in the reader's words} for each representative's phone the one rule refuses."""
    found = {}
    for rep in representatives:
        if rep.chosen_on_platform:
            continue  # the account's or the nomination's own phone, checked where it was given
        try:
            normalise_mobile(rep.phone)
        except PydanticCustomError as exc:
            found[f"rep_{rep.party_id}_phone"] = message({"type": exc.type, "msg": str(exc)}, "phone", language)
    return found


@router.post("/cases/{case_id}/signing/{request_id}/letters/{participant_id}", dependencies=[CsrfChecked])
def file_letter(request: Request, case_id: int, request_id: int, participant_id: int, session: SessionDep,
                settings: SettingsDep, tokens: TokensDep, user: StaffPageUser,
                letter: Annotated[UploadFile, File()], checked: Annotated[str, Form()] = "") -> Response:
    """File the representative's 授权委托书 and, once the officer has checked it, accept it."""
    req, case = signing.get_visible_request_or_404(session, user=user, request_id=request_id, for_update=True)
    if case.id != case_id:
        raise NotFound("signing request not found on this case")
    participant = signing.get_participant_or_404(session, request=req, participant_id=participant_id)
    data = letter.file.read(5 * 1024 * 1024 + 1)
    signing.upload_authorisation(session, request=req, participant=participant, pdf=data, actor=user)
    if checked:
        signing.approve_authorisation(session, settings, tokens, request=req, participant=participant, actor=user)
    return redirect(request, f"/cases/{case.id}#h-docs", ok="signing")


@router.post("/cases/{case_id}/signing/{request_id}/participants/{participant_id}/link", dependencies=[CsrfChecked])
def resend_link(request: Request, case_id: int, request_id: int, participant_id: int, session: SessionDep,
                settings: SettingsDep, tokens: TokensDep, user: StaffPageUser) -> Response:
    """A fresh link by SMS for a signer whose link expired or whose code is locked (as the signing API does)."""
    req, case = signing.get_visible_request_or_404(session, user=user, request_id=request_id, for_update=True)
    if case.id != case_id:
        raise NotFound("signing request not found on this case")
    participant = signing.get_participant_or_404(session, request=req, participant_id=participant_id)
    signing.check_open(req)
    if participant.status != signing.SignerStatus.PENDING.value or participant.kind == "seal":
        raise Conflict(f"this signer is '{participant.status}' and has no link to renew")
    signing.issue_link(session, settings, tokens, request=req, participant=participant,
                       actor=actor_of(user), send=True)
    return redirect(request, f"/cases/{case.id}#h-docs", ok="link_sent")


@router.post("/cases/{case_id}/signing/{request_id}/seal", dependencies=[CsrfChecked])
def seal(request: Request, case_id: int, request_id: int, session: SessionDep, settings: SettingsDep,
         keystore: KeyStoreDep, user: StaffPageUser) -> Response:
    req, case = signing.get_visible_request_or_404(session, user=user, request_id=request_id, for_update=True)
    if case.id != case_id:
        raise NotFound("signing request not found on this case")
    signing.apply_seal(session, settings, keystore, get_timestamper(request), request=req, actor=user)
    return redirect(request, f"/cases/{case.id}#h-docs", ok="sealed")


@router.get("/documents/{document_id}/signed.pdf")
def signed_document(document_id: str, session: SessionDep, user: PageUser) -> Response:
    document, _case = documents.get_visible_document_or_404(session, user=user, document_id=document_id)
    pdf = signing.signed_pdf(session, document_id=document.id)
    if pdf is None:
        raise NotFound("this document has no signature yet")
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{document.id}-signed.pdf"',
                             "Cache-Control": "no-store"})
