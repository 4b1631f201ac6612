"""Drafting the agreement from the case page: the form (parties, terms, payments as people type amounts), saved
versions, the live PDF preview beside the form, finalising (定稿), and a finalised document's PDF. The rules are the
documents domain's (``documents.service``); these pages parse the form and call it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from ..amounts import AmountError, format_amount, parse_amount
from ..cases import service as cases
from ..cases.models import Case
from ..cases.states import CaseStatus
from ..deps import FormDep, SessionDep, SettingsDep, actor_of
from ..documents import service as documents
from ..documents.rendering import render_document
from ..documents.templates import get_template
from ..errors import InvalidInput
from .auth import CsrfChecked, PageUser, SchedulerPageUser
from .forms import draft_field, field_errors
from ..i18n.catalogue import translator
from .render import language_of, redirect, render


router = APIRouter(include_in_schema=False)

AGREEMENT_TEMPLATE = "mediation_agreement"
# Where drafting the agreement makes sense from a page: once a mediator is assigned (the first save starts the
# mediation, as the mediator would by hand), while mediating, and while a draft exists.
PAGE_DRAFTING_STATES = {CaseStatus.MEDIATOR_ASSIGNED, CaseStatus.IN_MEDIATION, CaseStatus.AGREEMENT_DRAFTED}
PAYMENT_ROWS = 3


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _draft_inputs(form: FormData) -> tuple[dict, dict]:
    """The agreement's structured terms from the drafting form; the case fills in the rest (parties...)."""
    payments = []
    for payer, payee, amount, due, method in zip(form.getlist("pay_payer"), form.getlist("pay_payee"),
                                                 form.getlist("pay_amount"), form.getlist("pay_due"),
                                                 form.getlist("pay_method"), strict=False):
        if any(str(v).strip() for v in (payer, payee, amount, due, method)):
            payments.append({"payer": payer, "payee": payee, "amount": str(amount).strip(), "due_date": due,
                             "method": method})
    inputs = {"dispute_summary": str(form.get("dispute_summary", "")).strip(), "payments": payments,
              "obligations": _lines(str(form.get("obligations", ""))), "clauses": _lines(str(form.get("clauses", "")))}
    if str(form.get("place", "")).strip():
        inputs["place"] = str(form.get("place")).strip()
    meta = {"language": str(form.get("language") or "zh-CN"), "base_version": str(form.get("base_version") or "")}
    return inputs, meta


def _parsed_amounts(rows: list[dict]) -> list[str | None]:
    """Each payment row's amount as it was read (¥86,500.00), to show back beside what was typed."""
    shown = []
    for row in rows:
        try:
            shown.append(format_amount(parse_amount(str(row.get("amount")))) if row.get("amount") else None)
        except AmountError:
            shown.append(None)
    return shown


def _agreement_draft(session, case: Case):
    drafts = [d for d in documents.list_drafts(session, case=case) if d.template_id == AGREEMENT_TEMPLATE]
    return drafts[-1] if drafts else None


def _draft_page(request: Request, session, case: Case, user, *, inputs: dict | None = None, error: str | None = None,
                errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    draft = _agreement_draft(session, case)
    preview_url = None
    if draft is not None and draft.latest_version:
        preview_url = f"/cases/{case.id}/drafts/{draft.id}/versions/{draft.latest_version}/preview.pdf"
        if inputs is None:
            inputs = documents.version_inputs(documents.get_version_or_404(session, draft=draft,
                                                                           version=draft.latest_version))
    inputs = inputs or {}
    rows = list(inputs.get("payments") or [])
    rows += [{}] * max(0, PAYMENT_ROWS - len(rows))
    doc_language = draft.language if draft else ("en" if language_of(request) == "en" else "zh-CN")
    return render(request, "draft.html", user=user, case=case, draft=draft, inputs=inputs, payment_rows=rows,
                  preview_url=preview_url, doc_language=doc_language, error=error, field_errors=errors or {},
                  parsed_amounts=_parsed_amounts(rows),
                  can_draft=CaseStatus(case.status) in PAGE_DRAFTING_STATES, status_code=status_code)


@router.get("/cases/{case_id}/draft", response_class=HTMLResponse)
def draft_page(request: Request, case_id: int, session: SessionDep, user: SchedulerPageUser) -> Response:
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id)
    return _draft_page(request, session, case, user)


@router.post("/cases/{case_id}/draft", dependencies=[CsrfChecked])
def save_draft(request: Request, case_id: int, form: FormDep, session: SessionDep, settings: SettingsDep,
               user: SchedulerPageUser) -> Response:
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id, for_update=True)
    inputs, meta = _draft_inputs(form)
    draft = _agreement_draft(session, case)
    try:
        with session.begin_nested():  # a refused version leaves nothing behind, nor the case's move
            if CaseStatus(case.status) == CaseStatus.MEDIATOR_ASSIGNED:
                cases.transition(session, case=case, target=CaseStatus.IN_MEDIATION, actor=actor_of(user),
                                 reason="开始起草调解协议")
            if draft is None:
                draft, version = documents.create_draft(session, settings, case=case, template_id=AGREEMENT_TEMPLATE,
                                                        language=meta["language"], inputs=inputs, note=None,
                                                        actor=user)
            else:
                base = int(meta["base_version"]) if meta["base_version"].isdigit() else None
                version = documents.save_version(session, settings, case=case, draft=draft, inputs=inputs,
                                                 note=None, base_version=base, actor=user)
    except InvalidInput as exc:
        errors = field_errors(exc.extensions.get("errors", []), draft_field, language_of(request))
        return _draft_page(request, session, case, user, inputs=inputs, error=translator(language_of(request))("form.fix"),
                           errors=errors, status_code=422)
    return redirect(request, f"/cases/{case.id}/draft", ok="saved", n=version.version)


def _pdf(data: bytes, name: str, *, inline: bool = True) -> Response:
    disposition = "inline" if inline else "attachment"
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": f'{disposition}; filename="{name}"',
                             "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


@router.post("/cases/{case_id}/draft/preview", dependencies=[CsrfChecked])
def live_preview(request: Request, case_id: int, form: FormDep, session: SessionDep, settings: SettingsDep,
                 user: SchedulerPageUser) -> Response:
    """The form as it stands, rendered (marked draft); nothing is stored."""
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id)
    inputs, meta = _draft_inputs(form)
    draft = _agreement_draft(session, case)
    language = draft.language if draft else meta["language"]
    fields = get_template(AGREEMENT_TEMPLATE, language=language).inputs.model_fields
    defaults = {k: v for k, v in documents.case_defaults(session, settings, case=case, language=language).items()
                if k in fields}
    rendered = render_document(AGREEMENT_TEMPLATE, {**defaults, **inputs}, language=language,
                               document_id=f"preview-case-{case.id}", verification_code="PREVIEW",
                               base_url=settings.public_base_url, draft=True)
    return _pdf(rendered.pdf, "preview.pdf")


@router.get("/cases/{case_id}/drafts/{draft_id}/versions/{version}/preview.pdf")
def saved_preview(case_id: int, draft_id: int, version: int, session: SessionDep, settings: SettingsDep,
                  user: SchedulerPageUser) -> Response:
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id)
    draft = documents.get_draft_or_404(session, case=case, draft_id=draft_id)
    row = documents.get_version_or_404(session, draft=draft, version=version)
    return _pdf(documents.preview(settings, draft=draft, version=row).pdf, f"draft-{draft.id}-v{version}.pdf")


@router.post("/cases/{case_id}/drafts/{draft_id}/finalise", dependencies=[CsrfChecked])
def finalise(request: Request, case_id: int, draft_id: int, session: SessionDep, settings: SettingsDep,
             user: SchedulerPageUser, version: Annotated[int, Form()]) -> Response:
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id, for_update=True)
    draft = documents.get_draft_or_404(session, case=case, draft_id=draft_id, for_update=True)
    documents.finalise(session, settings, case=case, draft=draft, version=version, actor=user)
    return redirect(request, f"/cases/{case.id}#h-docs", ok="finalised")


@router.get("/documents/{document_id}.pdf")
def document_pdf(document_id: str, session: SessionDep, user: PageUser) -> Response:
    document, _case = documents.get_visible_document_or_404(session, user=user, document_id=document_id)
    return _pdf(document.pdf, f"{document.id}.pdf", inline=False)
