"""The consumer's API (``/api/v1/self``): prove a phone by SMS code, then read one's cases and complaints.

A consumer token is its own audience (``policy.TOKEN_PURPOSE``): a staff token is not one, nor the reverse.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response

from ..cases import messages as case_messages
from ..cases.message_routes import CaseMessageRead, MessageIn
from ..cases.message_routes import to_read as message_read
from ..complaints import review
from ..db import id_of
from ..deps import KeyStoreDep, SessionDep, SettingsDep, TokensDep, client_address
from ..errors import NotFound, Unauthenticated
from ..security.pipl import mask_phone
from ..i18n.catalogue import pick_language, translator
from ..i18n.labels import label
from ..workcalendar.store import load_calendar
from . import applications, policy, service
from .applications import ApplicationIn
from .schemas import (ApplicationFiled, ApplicationForm, CaseDetail, CaseSummary, Choice, CodeRequest, CodeSent,
                      ComplaintSummary, DocumentFacts, MyMatters, IdCheck, ProofIssued, ProofRequest, SessionFacts, SupplementIn)

router = APIRouter(prefix="/api/v1/self", tags=["self-service"])


def consumer(session: SessionDep, tokens: TokensDep,
             authorization: Annotated[str | None, Header()] = None) -> service.ProvedPhone:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthenticated("请先验证手机号 (prove your phone first: Authorization: Bearer <token>)")
    return service.proved_phone(session, tokens=tokens, token=authorization.split(" ", 1)[1].strip())


Consumer = Annotated[service.ProvedPhone, Depends(consumer)]


def language_of(request: Request) -> str:
    return pick_language(request.query_params.get("lang") or request.headers.get("accept-language"))


Language = Annotated[str, Depends(language_of)]


@router.post("/codes", response_model=CodeSent, status_code=202)
def send_code(body: CodeRequest, request: Request, session: SessionDep, keystore: KeyStoreDep) -> CodeSent:
    sent = service.send_code(session, keystore=keystore, phone=body.phone, client=client_address(request))
    return CodeSent(phone_masked=sent.phone_masked, expires_at=sent.expires_at,
                    resend_after_seconds=sent.resend_after_seconds)


@router.post("/proofs", response_model=ProofIssued, status_code=201)
def prove(body: ProofRequest, request: Request, session: SessionDep, keystore: KeyStoreDep,
          tokens: TokensDep) -> ProofIssued:
    proof = service.prove(session, keystore=keystore, tokens=tokens, phone=body.phone, code=body.code,
                          client=client_address(request))
    return ProofIssued(access_token=proof.token, expires_at=proof.expires_at)


@router.delete("/proofs/current", status_code=204)
def end_proof(session: SessionDep, proved: Consumer) -> Response:
    service.end_proof(session, proved=proved)
    return Response(status_code=204)


def _summary(facts: service.CaseFacts, language: str) -> CaseSummary:
    t = translator(language)
    return CaseSummary(number=facts.number, status=facts.status.value, status_text=label("case_status", facts.status,
                       language), received_on=facts.received_on, due_on=facts.due_on, open=facts.open,
                       working_days_left=facts.working_days_left, next_step=t(facts.next_step_key))


@router.get("/matters", response_model=MyMatters)
def my_matters(session: SessionDep, proved: Consumer, language: Language) -> MyMatters:
    """Every case and complaint of the proved phone."""
    service.count_lookup(session, proved=proved)
    calendar = load_calendar(session)
    cases = [_summary(service.facts_of(session, case=c, calendar=calendar), language)
             for c in service.cases_of(session, phone=proved.phone)]
    t = translator(language)
    complaints = [ComplaintSummary(number=c.number, status=c.status, status_text=t(f"self.cstatus.{c.status}"),
                                   received_at=c.received_at, institution_id=c.institution_id,
                                   deadline_on=c.deadline_on, reason=service.told_reason(c))
                  for c in service.complaints_of(session, phone=proved.phone)]
    return MyMatters(phone_masked=mask_phone(proved.phone) or "", cases=cases, complaints=complaints)


@router.get("/cases/{number}", response_model=CaseDetail)
def my_case(number: str, session: SessionDep, proved: Consumer, language: Language) -> CaseDetail:
    """One case by its number, if the proved phone is one of its parties'; otherwise 404, as for no such case."""
    service.count_lookup(session, proved=proved)
    case = service.case_of(session, phone=proved.phone, number=number)
    if case is None:
        raise NotFound("没有找到与您的手机号对应的这个案号 (no case of yours has this number)")
    facts = service.facts_of(session, case=case, calendar=load_calendar(session))
    sessions = [SessionFacts(starts_at=s.starts_at, ends_at=s.ends_at, mode=s.mode,
                             mode_text=label("session_mode", s.mode, language), status=s.status,
                             status_text=label("session_status", s.status, language), meeting_url=s.meeting_url)
                for s in facts.sessions]
    documents = [DocumentFacts(id=d.id, kind=d.kind, title=d.title, status=d.status,
                               status_text=label("document_status", d.status, language)) for d in facts.documents]
    return CaseDetail(**_summary(facts, language).model_dump(), mediator_name=facts.mediator_name,
                      sessions=sessions, documents=documents)


@router.get("/applications/form", response_model=ApplicationForm)
def application_form(session: SessionDep, settings: SettingsDep, language: Language) -> ApplicationForm:
    """What to pick from and the notice to accept; public (nothing personal)."""
    institutions, categories = applications.choices(session)
    return ApplicationForm(
        institutions=[Choice(id=str(id_of(i)), name=i.name) for i in institutions],
        categories=[Choice(id=c.code, name=c.name_zh if language == "zh-CN" else c.name_en) for c in categories],
        consent_version=policy.CONSENT_VERSION, consent_text=applications.consent_text(settings, language))


@router.post("/applications", response_model=ApplicationFiled, status_code=201)
def apply(body: ApplicationIn, request: Request, session: SessionDep, settings: SettingsDep, proved: Consumer,
          language: Language) -> ApplicationFiled:
    """A complaint or a request for mediation from the proved phone; an officer checks it before it goes on."""
    contact = applications.apply(session, settings, proved=proved, data=body, client=client_address(request),
                                 language=language)
    return ApplicationFiled(number=contact.number, status=contact.status,
                            status_text=translator(language)(f"self.cstatus.{contact.status}"),
                            wants_mediation=contact.wants_mediation)


@router.post("/complaints/{number}/supplement", response_model=ComplaintSummary)
def supplement(number: str, body: SupplementIn, session: SessionDep, proved: Consumer,
               language: Language) -> ComplaintSummary:
    """The consumer's answer to what the center asked; the application goes back to the officers."""
    contact = service.complaint_of(session, phone=proved.phone, number=number, for_update=True)
    if contact is None:
        raise NotFound("没有找到与您的手机号对应的这个编号 (no complaint of yours has this number)")
    review.supplement(session, contact=contact, actor=f"consumer:{mask_phone(proved.phone)}", text=body.text)
    return ComplaintSummary(number=contact.number, status=contact.status,
                            status_text=translator(language)(f"self.cstatus.{contact.status}"),
                            received_at=contact.received_at, institution_id=contact.institution_id,
                            deadline_on=contact.deadline_on, reason=service.told_reason(contact))


def _my_case(session: SessionDep, proved: service.ProvedPhone, number: str):
    case = service.case_of(session, phone=proved.phone, number=number)
    if case is None:
        raise NotFound("没有找到与您的手机号对应的这个案号 (no case of yours has this number)")
    return case


@router.get("/cases/{number}/messages", response_model=list[CaseMessageRead])
def my_messages(number: str, session: SessionDep, proved: Consumer) -> list[CaseMessageRead]:
    """The thread with the center on one of the phone's cases."""
    service.count_lookup(session, proved=proved)
    return [message_read(m) for m in case_messages.thread(session, case=_my_case(session, proved, number))]


@router.post("/cases/{number}/messages", response_model=CaseMessageRead, status_code=201)
def write(number: str, body: MessageIn, session: SessionDep, settings: SettingsDep,
          proved: Consumer) -> CaseMessageRead:
    """Write to the officer or the mediator of one of the phone's cases."""
    service.count_lookup(session, proved=proved)
    case = _my_case(session, proved, number)
    return message_read(case_messages.from_consumer(session, settings, case=case, phone=proved.phone,
                                                    author=f"consumer:{mask_phone(proved.phone)}", text=body.text))


@router.post("/cases/{number}/documents/{document_id}/download", response_class=Response,
             responses={200: {"content": {"application/pdf": {}}}})
def receive(number: str, document_id: str, body: IdCheck, session: SessionDep, proved: Consumer) -> Response:
    """A document of the phone's case (the signed copy where there is one), after the ID check: the last four
    characters of the ID number on record for that phone, sent in the body (never in a URL)."""
    download = service.document_for(session, proved=proved, case=_my_case(session, proved, number),
                                    document_id=document_id, id_last4=body.id_last4)
    return Response(download.pdf, media_type="application/pdf", headers=download.headers())
