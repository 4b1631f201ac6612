"""Pages for complaints: the officer's forwarding board (转办), a contact's intake, the institution's inbox and
reply, and the consumer's page behind the SMS link. The same services and the same visibility rule as the API
(``complaints.service.visibility_clause``): an institution account reaches only its institution's complaints."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import ValidationError

from ..accounts.models import User
from ..cases import queries as case_queries
from ..cases.service import workday_calendar
from ..complaints import attachments, board, institutions, review, risk, service, statistics
from ..complaints.models import Contact
from ..complaints.policy import Status
from ..complaints.schemas import ContactIn, ConvertIn, ExtensionIn, ReplyIn
from ..deps import FormDep, SessionDep, SettingsDep
from ..db import utcnow
from ..errors import Forbidden, InvalidInput
from ..security.roles import Role, is_staff
from ..statistics.charts import Series, bar_chart, horizontal_bar_chart
from ..timeutil import today_in_shanghai
from .auth import CsrfChecked, PageUser, StaffPageUser
from .forms import field_errors
from ..i18n.labels import label
from ..i18n.catalogue import translator
from .render import language_of, redirect, render

router = APIRouter(include_in_schema=False)
CHANNELS = ("hotline", "web", "wechat", "letter", "visit")


def handler_page_user(user: PageUser) -> User:
    if user.role not in (Role.ADMIN, Role.CASE_OFFICER, Role.INSTITUTION):
        raise Forbidden("this page is for case officers and institutions' complaint staff")
    return user


def institution_page_user(user: PageUser) -> User:
    if user.role != Role.INSTITUTION:
        raise Forbidden("this page is for institutions' complaint staff")
    return user


HandlerPageUser = Annotated[User, Depends(handler_page_user)]
InstitutionPageUser = Annotated[User, Depends(institution_page_user)]


def _errors(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        return [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}".lstrip(": ") for e in exc.errors()]
    return [str(exc)]


def _list_page(request: Request, session, settings, user, *, template_title: str, attention: str | None,
               institution_id: int | None) -> Response:
    calendar, names = workday_calendar(session), service.institution_names(session)
    rows = [service.to_read(c, calendar=calendar, settings=settings, institution_names=names)
            for c in board.board(session, user=user, attention=attention, institution_id=institution_id, limit=200)]
    return render(request, "complaints.html", user=user, rows=rows, counts=board.board_counts(session, user=user),
                  attention=attention, title_key=template_title, institutions=names, institution_id=institution_id,
                  signal_names=risk.SIGNAL_ZH)


@router.get("/complaints")
def board_page(request: Request, session: SessionDep, settings: SettingsDep, user: StaffPageUser,
               attention: str | None = None, institution_id: int | None = None) -> Response:
    return _list_page(request, session, settings, user, template_title="cmp.board", attention=attention,
                      institution_id=institution_id)


@router.get("/inbox")
def inbox_page(request: Request, session: SessionDep, settings: SettingsDep, user: InstitutionPageUser,
               attention: str | None = None) -> Response:
    return _list_page(request, session, settings, user, template_title="cmp.inbox", attention=attention,
                      institution_id=None)


def _intake_context(session) -> dict:
    return {**case_queries.intake_options(session)._asdict(), "channels": CHANNELS}


def _contact_field(loc: tuple) -> str | None:
    """A problem's ``loc`` -> the intake form's field (the form's names are ContactIn's)."""
    return loc[0] if loc and loc[0] in ContactIn.model_fields else None


@router.get("/complaints/new")
def new_contact_page(request: Request, session: SessionDep, user: StaffPageUser) -> Response:
    return render(request, "contact_new.html", user=user, form={"kind": "complaint"}, field_errors={},
                  **_intake_context(session))


@router.post("/complaints/new", dependencies=[CsrfChecked])
def new_contact(request: Request, form_data: FormDep, session: SessionDep, settings: SettingsDep,
                user: StaffPageUser) -> Response:
    form = {k: v for k, v in form_data.items() if k != "csrf_token" and isinstance(v, str)}
    fields = {k: (v.strip() or None) for k, v in form.items() if k in ContactIn.model_fields}
    try:
        # Typed text, validated (and converted) by the schema like an API body.
        data = ContactIn.model_validate({**fields, "urgent": bool(form.get("urgent"))})
        with session.begin_nested():  # a refused contact leaves nothing behind; the form comes back
            contact = service.record_contact(session, settings, data=data, actor=user)
    except (ValidationError, InvalidInput) as exc:
        language = language_of(request)
        problems = exc.errors(include_url=False) if isinstance(exc, ValidationError) \
            else exc.extensions.get("errors", [])
        errors = field_errors(problems, _contact_field, language)
        if isinstance(exc, InvalidInput) and not errors:
            errors[""] = label("error", exc.slug, language)
        return render(request, "contact_new.html", user=user, status_code=422, form=form, field_errors=errors,
                      error=translator(language)("form.fix"), **_intake_context(session))
    return redirect(request, f"/complaints/{contact.id}", ok="contact_recorded", number=contact.number)


@router.get("/complaints/{contact_id}")
def complaint_page(request: Request, contact_id: int, session: SessionDep, settings: SettingsDep,
                   user: HandlerPageUser, error: str | None = None) -> Response:
    contact = service.get_visible_or_404(session, user=user, contact_id=contact_id)
    read = service.to_read(contact, calendar=workday_calendar(session), settings=settings,
                           institution_names=service.institution_names(session))
    category = case_queries.category_of(session, code=contact.category_code)
    return render(request, "complaint.html", user=user, c=read, category=category,
                  staff=is_staff(user.role), institution=user.role == Role.INSTITUTION,
                  thread=service.messages(session, contact), files=attachments.list_for(session, contact),
                  extensions=service.extensions(session, contact), signal_names=risk.SIGNAL_ZH,
                  nominations=institutions.nominations_for(session, case_id=contact.case_id,
                                                      institution_id=contact.institution_id)
                  if contact.case_id and user.role == Role.INSTITUTION else [],
                  max_mb=settings.complaint_attachment_max_bytes // (1024 * 1024))


def _back(request: Request, contact_id: int, ok: str, **values) -> Response:
    return redirect(request, f"/complaints/{contact_id}", ok=ok, **values)


def _act(request: Request, session, user, contact_id: int, action) -> Response:
    """Run one action; a domain or validation error is shown on the complaint page, in plain words."""
    contact = service.get_visible_or_404(session, user=user, contact_id=contact_id, for_update=True)
    try:
        ok, values = action(contact)
    except ValidationError as exc:  # raised on, so the request's whole transaction rolls back
        raise InvalidInput("；".join(_errors(exc))) from exc
    return _back(request, contact_id, ok, **values)


@router.post("/complaints/{contact_id}/representative", dependencies=[CsrfChecked])
def nominate(request: Request, contact_id: int, session: SessionDep, user: InstitutionPageUser,
             name: Annotated[str, Form()] = "", phone: Annotated[str, Form()] = "",
             id_number: Annotated[str, Form()] = "") -> Response:
    def act(contact):
        institutions.nominate_representative(session, contact=contact, user=user, name=name, phone=phone,
                                        id_number=id_number)
        return "representative_named", {}
    return _act(request, session, user, contact_id, act)


@router.post("/complaints/{contact_id}/forward", dependencies=[CsrfChecked])
def forward(request: Request, contact_id: int, session: SessionDep, settings: SettingsDep, user: StaffPageUser,
            note: Annotated[str, Form(max_length=1000)] = "") -> Response:
    def act(contact: Contact) -> tuple[str, dict]:
        forwarded = service.forward(session, settings, contact=contact, actor=user, note=note.strip() or None)
        if forwarded.deadline_on is None:
            raise RuntimeError(f"complaint {forwarded.id} was forwarded without a deadline")
        return "forwarded", {"date": forwarded.deadline_on.isoformat()}
    return _act(request, session, user, contact_id, act)


@router.post("/complaints/{contact_id}/review", dependencies=[CsrfChecked])
def review_application(request: Request, contact_id: int, session: SessionDep, settings: SettingsDep,
                       user: StaffPageUser, decision: Annotated[str, Form(max_length=10)] = "",
                       text: Annotated[str, Form(max_length=1000)] = "") -> Response:
    """An officer's check of the consumer's own application (complaints.review)."""
    def act(contact: Contact) -> tuple[str, dict]:
        if decision == "accept":
            case = review.accept(session, settings, contact=contact, actor=user)
            return ("review_case", {"number": case.number}) if case else ("review_forwarded", {})
        if decision in ("ask", "reject") and text.strip():
            if decision == "ask":
                review.ask_for_more(session, settings, contact=contact, actor=user, question=text.strip())
                return "review_asked", {}
            review.reject(session, settings, contact=contact, actor=user, reason=text.strip())
            return "review_rejected", {}
        raise InvalidInput("请写明需要补充的内容或不予受理的原因 (say what is missing, or why it is declined)")
    return _act(request, session, user, contact_id, act)


@router.post("/complaints/{contact_id}/reply", dependencies=[CsrfChecked])
def reply(request: Request, contact_id: int, session: SessionDep, settings: SettingsDep, user: HandlerPageUser,
          outcome: Annotated[str, Form()], text: Annotated[str, Form(max_length=5000)] = "",
          settled_amount: Annotated[str, Form(max_length=20)] = "") -> Response:
    amount = settled_amount.replace(",", "").replace("¥", "").strip() or None
    return _act(request, session, user, contact_id, lambda c: (
        "replied", {"n": service.reply(session, settings, contact=c, actor=user, data=ReplyIn.model_validate(
            {"outcome": outcome, "text": text, "settled_amount": amount})).number}))


@router.post("/complaints/{contact_id}/extend", dependencies=[CsrfChecked])
def extend(request: Request, contact_id: int, session: SessionDep, settings: SettingsDep, user: HandlerPageUser,
           kind: Annotated[str, Form()], reason: Annotated[str, Form(max_length=1000)] = "",
           days: Annotated[str, Form(max_length=3)] = "", approved_by: Annotated[str, Form(max_length=120)] = "") -> Response:
    return _act(request, session, user, contact_id, lambda c: (
        "extended", {"date": service.extend(session, settings, contact=c, actor=user, data=ExtensionIn(
            kind=kind, reason=reason, days=int(days) if days.strip().isdigit() else None,
            approved_by=approved_by.strip() or None)).deadline_after.isoformat()}))


@router.post("/complaints/{contact_id}/messages", dependencies=[CsrfChecked])
def message(request: Request, contact_id: int, session: SessionDep, user: HandlerPageUser,
            body: Annotated[str, Form(max_length=4000)] = "") -> Response:
    if not body.strip():
        raise InvalidInput("请填写留言内容 (the message is empty)")
    return _act(request, session, user, contact_id,
                lambda c: ("message_sent", {"id": service.add_message(session, contact=c, actor=user, body=body.strip()).id}))


@router.post("/complaints/{contact_id}/attachments", dependencies=[CsrfChecked])
def attach(request: Request, contact_id: int, session: SessionDep, settings: SettingsDep, user: HandlerPageUser,
           file: Annotated[UploadFile, File()]) -> Response:
    data = file.file.read(settings.complaint_attachment_max_bytes + 1)  # never more than one byte over the bound
    return _act(request, session, user, contact_id, lambda c: (
        "attached", {"name": attachments.add(session, settings, contact=c, actor=user, side=service.side_of(user),
                                             filename=file.filename, data=data).filename}))


@router.get("/complaints/{contact_id}/attachments/{attachment_id}")
def download(contact_id: int, attachment_id: int, session: SessionDep, user: HandlerPageUser) -> Response:
    contact = service.get_visible_or_404(session, user=user, contact_id=contact_id)
    return attachments.download_response(attachments.get_or_404(session, contact=contact, attachment_id=attachment_id))


@router.post("/complaints/{contact_id}/offer-mediation", dependencies=[CsrfChecked])
def offer(request: Request, contact_id: int, session: SessionDep, user: StaffPageUser,
          note: Annotated[str, Form(max_length=1000)] = "") -> Response:
    return _act(request, session, user, contact_id, lambda c: (
        "mediation_offered", {"n": service.offer_mediation(session, contact=c, actor=user, note=note.strip() or None).number}))


@router.post("/complaints/{contact_id}/convert", dependencies=[CsrfChecked])
def convert(request: Request, contact_id: int, session: SessionDep, settings: SettingsDep, user: StaffPageUser,
            consent: Annotated[str, Form(max_length=500)] = "",
            consumer_id_number: Annotated[str, Form(max_length=40)] = "",
            category_code: Annotated[str, Form(max_length=40)] = "") -> Response:
    contact = service.get_visible_or_404(session, user=user, contact_id=contact_id, for_update=True)
    try:
        data = ConvertIn(consent=consent, consumer_id_number=consumer_id_number.strip() or None,
                         category_code=category_code.strip() or None)
    except ValidationError as exc:
        raise InvalidInput("；".join(_errors(exc))) from exc
    case = service.convert_to_case(session, settings, contact=contact, data=data, actor=user)
    return redirect(request, f"/cases/{case.id}", ok="converted", number=case.number)


@router.post("/complaints/{contact_id}/withdraw", dependencies=[CsrfChecked])
def withdraw(request: Request, contact_id: int, session: SessionDep, user: StaffPageUser,
             reason: Annotated[str, Form(max_length=1000)] = "") -> Response:
    return _act(request, session, user, contact_id, lambda c: (
        "withdrawn", {"n": service.withdraw(session, contact=c, actor=user, reason=_reason(reason)).number}))


@router.post("/complaints/{contact_id}/close", dependencies=[CsrfChecked])
def close(request: Request, contact_id: int, session: SessionDep, user: StaffPageUser,
          reason: Annotated[str, Form(max_length=1000)] = "") -> Response:
    return _act(request, session, user, contact_id, lambda c: (
        "complaint_closed", {"n": service.close(session, contact=c, actor=user, reason=_reason(reason)).number}))


def _reason(reason: str) -> str:
    if len(reason.strip()) < 2:
        raise InvalidInput("请填写原因 (a reason is required)")
    return reason.strip()


# --- the consumer, from the SMS link (no account) ------------------------------------------------------------------

@router.get("/c/{token}")
def consumer_page(request: Request, token: str, session: SessionDep) -> Response:
    link, contact = service.link_or_404(session, token=token)
    usable = link.used_at is None and link.expires_at > utcnow() and contact.status == Status.ANSWERED.value
    institution = case_queries.institution_of(session, institution_id=contact.institution_id)
    return render(request, "consumer_answer.html", c=contact, institution=institution, usable=usable, token=token,
                  outcome_zh=service.OUTCOME_ZH)


@router.post("/c/{token}", dependencies=[CsrfChecked])
def consumer_answer(request: Request, token: str, session: SessionDep, choice: Annotated[str, Form()],
                    comment: Annotated[str, Form(max_length=1000)] = "") -> Response:
    try:
        with session.begin_nested():  # an expired link's answer leaves nothing behind
            contact = service.consumer_answer(session, token=token, accept=choice == "accept",
                                              comment=comment.strip() or None)
    except service.LinkExpired:
        return render(request, "consumer_answer.html", status_code=410, c=None, usable=False, expired=True)
    return render(request, "consumer_answer.html", c=contact, usable=False, done=True, accepted=contact.consumer_accepted)



# --- statistics ----------------------------------------------------------------------------------------------------

@router.get("/complaint-statistics")
def statistics_page(request: Request, session: SessionDep, user: StaffPageUser, month: str | None = None) -> Response:
    """The month's figures, as tables and server-drawn SVG charts, with the monthly report to download."""
    if not month or not re.fullmatch(statistics.MONTH_PATTERN, month):
        month = today_in_shanghai().strftime("%Y-%m")
    start, end = statistics.month_bounds(month)
    report = statistics.build(session, start=start, end=end)
    names = [r.name.replace("股份有限公司", "") for r in report.institutions]
    charts = [
        horizontal_bar_chart(title="各机构转办与办结反馈（件）", categories=names, series=[
            Series("转办", [r.forwarded for r in report.institutions]),
            Series("办结反馈", [r.answered for r in report.institutions])]),
        bar_chart(title="办结时长分布（工作日）", categories=list(report.distribution),
                  series=[Series("件数", list(report.distribution.values()))]),
        bar_chart(title="按渠道登记（件）", categories=[row[0] for row in statistics.channel_table(report)[1:]],
                  series=[Series("咨询", [row[1] for row in statistics.channel_table(report)[1:]]),
                          Series("投诉", [row[2] for row in statistics.channel_table(report)[1:]])]),
    ]
    # Inline in the page: drop each document's XML declaration.
    charts = [svg.split("\n", 1)[1] if svg.startswith("<?xml") else svg for svg in charts]
    return render(request, "complaint_statistics.html", user=user, month=month, charts=charts,
                  tables=[(title, table(report)) for title, table in statistics.SHEETS])


@router.get("/complaint-statistics/{month}.{fmt}")
def report_download(month: str, fmt: str, session: SessionDep, settings: SettingsDep, user: StaffPageUser) -> Response:
    return statistics.report_file(session, month=month, fmt=fmt, center_name=settings.center_name)
