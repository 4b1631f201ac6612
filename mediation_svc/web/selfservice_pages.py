"""The consumer's own pages (/my): prove the phone by SMS code, then follow one's cases and complaints.

Mobile first (360 px), Chinese first, 大字模式 as everywhere. The rules are ``selfservice``'s; these pages call
its service and show what it answers. The proof's token is kept in an HttpOnly, SameSite=Strict cookie limited
to /my, for the token's own 30 minutes; logging out revokes it at once.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from ..cases import messages as case_messages
from ..cases.models import Case
from ..complaints import attachments, review
from ..evidence import service as evidence
from ..evidence.routes import UploadDep
from ..evidence.routes import download as evidence_download
from ..deps import FormDep, KeyStoreDep, SessionDep, SettingsDep, TokensDep, client_address
from ..errors import DomainError, InvalidInput, Unauthenticated
from ..phones import normalise_mobile
from ..scheduling.calendar import invitation
from ..scheduling.notify import event_of
from ..selfservice import applications, policy, service
from ..selfservice.applications import ApplicationIn
from ..security.pipl import mask_phone
from ..workcalendar.store import load_calendar
from . import auth
from .application_form import blank_form_pdf
from .auth import CsrfChecked
from .forms import field_errors
from ..i18n.catalogue import translator
from ..i18n.labels import label
from .render import PageAnswer, language_of, redirect, render, safe_next

CONSUMER_COOKIE = "msvc_consumer"
router = APIRouter(include_in_schema=False)


def _proved(request: Request, session: SessionDep, tokens: TokensDep) -> service.ProvedPhone | None:
    token = request.cookies.get(CONSUMER_COOKIE)
    if not token:
        return None
    try:
        return service.proved_phone(session, tokens=tokens, token=token)
    except Unauthenticated:
        return None


def _next(value: str | None) -> str:
    """Where to go once the phone is proved: a page of /my only."""
    url = safe_next(value)
    return url if url.startswith("/my/") else "/my/matters"


def _phone_page(request: Request, *, error: str | None = None, phone: str = "", status: int = 200,
                next_url: str = "/my/matters") -> Response:
    return render(request, "my_phone.html", status_code=status, error=error, phone=phone, next_url=next_url)


@router.get("/my/application-form.pdf")
def application_form(settings: SettingsDep) -> Response:
    """The blank paper form (public: nothing personal), with the QR code that opens the online form."""
    return Response(blank_form_pdf(settings), media_type="application/pdf",
                    headers={"Content-Disposition": 'inline; filename="application-form.pdf"',
                             "Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})


@router.get("/my")
def phone_page(request: Request, session: SessionDep, tokens: TokensDep) -> Response:
    next_url = _next(request.query_params.get("next"))
    if _proved(request, session, tokens):
        return redirect(request, next_url)
    return _phone_page(request, next_url=next_url)


@router.post("/my/code", dependencies=[CsrfChecked])
def send_code(request: Request, session: SessionDep, keystore: KeyStoreDep,
              phone: Annotated[str, Form(max_length=40)] = "", next: Annotated[str, Form(max_length=200)] = "") -> Response:
    t = translator(language_of(request))
    next_url = _next(next)
    try:
        mobile = normalise_mobile(phone)
    except ValueError:
        return _phone_page(request, error=t("self.bad_phone"), phone=phone, status=422, next_url=next_url)
    try:
        sent = service.send_code(session, keystore=keystore, phone=mobile, client=client_address(request))
    except DomainError as exc:
        return _phone_page(request, error=t("self.too_many"), phone=phone, status=exc.status, next_url=next_url)
    return render(request, "my_code.html", phone=mobile, phone_masked=sent.phone_masked, error=None,
                  minutes=int(policy.CODE_LIFETIME.total_seconds() // 60), next_url=next_url)


@router.post("/my/proof", dependencies=[CsrfChecked])
def prove(request: Request, session: SessionDep, keystore: KeyStoreDep, tokens: TokensDep,
          phone: Annotated[str, Form(max_length=40)] = "", code: Annotated[str, Form(max_length=12)] = "",
          next: Annotated[str, Form(max_length=200)] = "") -> Response:
    t = translator(language_of(request))
    next_url = _next(next)
    try:
        mobile = normalise_mobile(phone)
    except ValueError:
        return _phone_page(request, error=t("self.bad_phone"), phone=phone, status=422)
    try:
        proof = service.prove(session, keystore=keystore, tokens=tokens, phone=mobile, code=code,
                              client=client_address(request))
    except DomainError as exc:
        reason = (exc.extensions.get("errors") or [{}])[0].get("msg")
        error = t("self.locked") if exc.status == 429 else t(f"self.code_{reason}" if reason in ("expired", "used")
                                                              else "self.wrong_code")
        return render(request, "my_code.html", status_code=exc.status, phone=mobile,
                      phone_masked=mask_phone(mobile), error=error,
                      minutes=int(policy.CODE_LIFETIME.total_seconds() // 60), next_url=next_url)
    response = redirect(request, next_url)
    response.set_cookie(CONSUMER_COOKIE, proof.token, max_age=int(policy.PROOF_LIFETIME.total_seconds()),
                        httponly=True, samesite="strict", secure=auth.secure_cookies(request), path="/my")
    return response


def _ask_again(request: Request) -> Response:
    return _phone_page(request, error=translator(language_of(request))("self.prove_again"), status=401,
                       next_url=_next(request.url.path))


def _my_phone(request: Request, session, tokens) -> service.ProvedPhone:
    """The proved phone; else PageAnswer with the phone page that asks to prove it again."""
    proved = _proved(request, session, tokens)
    if proved is None:
        raise PageAnswer(_ask_again(request))
    return proved


def _my_case(request: Request, session, tokens, number: str) -> tuple[service.ProvedPhone, Case]:
    """The proved phone and its case numbered ``number``; else PageAnswer with the page to answer instead (prove
    the phone again, or back to the list: another's number says nothing more). Every look-up counts towards the
    bound."""
    proved = _my_phone(request, session, tokens)
    service.count_lookup(session, proved=proved)
    case = service.case_of(session, phone=proved.phone, number=number)
    if case is None:
        raise PageAnswer(redirect(request, "/my/matters"))
    return proved, case


@router.get("/my/matters")
def matters(request: Request, session: SessionDep, tokens: TokensDep) -> Response:
    proved = _my_phone(request, session, tokens)
    service.count_lookup(session, proved=proved)
    calendar = load_calendar(session)
    cases = [service.facts_of(session, case=c, calendar=calendar)
             for c in service.cases_of(session, phone=proved.phone)]
    return render(request, "my_matters.html", phone_masked=mask_phone(proved.phone), cases=cases,
                  complaints=service.complaints_of(session, phone=proved.phone), told_reason=service.told_reason)


@router.get("/my/cases/{number}")
def case_page(number: str, request: Request, session: SessionDep, tokens: TokensDep) -> Response:
    proved = _my_phone(request, session, tokens)
    service.count_lookup(session, proved=proved)
    case = service.case_of(session, phone=proved.phone, number=number)
    if case is None:
        return render(request, "my_matters.html", status_code=404, phone_masked=mask_phone(proved.phone),
                      cases=[], complaints=[], not_found=number, told_reason=service.told_reason)
    facts = service.facts_of(session, case=case, calendar=load_calendar(session))
    return render(request, "my_case.html", facts=None, case=facts, phone_masked=mask_phone(proved.phone),
                  thread=case_messages.thread(session, case=case),
                  to_sign=service.to_sign(session, phone=proved.phone, case=case),
                  evidence=evidence.for_consumer(session, case=case),
                  service_address=service.my_service_address(session, proved=proved, case=case),
                  party_address=service.my_party(session, phone=proved.phone, case=case).address)


@router.post("/my/logout", dependencies=[CsrfChecked])
def logout(request: Request, session: SessionDep, tokens: TokensDep) -> Response:
    proved = _proved(request, session, tokens)
    if proved is not None:
        service.end_proof(session, proved=proved)
    response = redirect(request, "/my", ok="self_logged_out")
    response.delete_cookie(CONSUMER_COOKIE, path="/my", httponly=True, samesite="strict",
                           secure=auth.secure_cookies(request))
    return response


# --- applying --------------------------------------------------------------------------------------------------

APPLY_FIELDS = ("consumer_name", "consumer_id_number", "contact_address", "institution_id", "institution_branch",
                "category_code", "facts", "request", "amount", "preferred_language")
APPLY_FLAGS = ("wants_mediation", "needs_elderly_support", "needs_interpreter", "consent")
MAX_APPLICATION_FILES = 5


def _apply_page(request: Request, session: SessionDep, settings: SettingsDep, *, form: dict,
                errors: dict[str, str] | None = None, status: int = 200) -> Response:
    institutions, categories = applications.choices(session)
    language = language_of(request)
    return render(request, "my_apply.html", status_code=status, form=form, field_errors=errors or {},
                  institutions=institutions, categories=categories, consent_version=policy.CONSENT_VERSION,
                  consent_text=applications.consent_text(settings, language))


@router.get("/my/apply")
def apply_page(request: Request, session: SessionDep, settings: SettingsDep, tokens: TokensDep) -> Response:
    _my_phone(request, session, tokens)
    channel = "wechat" if request.query_params.get("channel") == "wechat" else "web"  # opened from the WeChat menu
    return _apply_page(request, session, settings, form={"wants_mediation": False, "channel": channel})


@router.post("/my/apply", dependencies=[CsrfChecked])
def apply(request: Request, session: SessionDep, settings: SettingsDep, tokens: TokensDep, form: FormDep) -> Response:
    proved = _my_phone(request, session, tokens)
    language = language_of(request)
    typed = {name: str(form.get(name) or "").strip() for name in APPLY_FIELDS}
    flags = {name: form.get(name) in ("on", "true", "1") for name in APPLY_FLAGS}
    flags["wants_mediation"] = form.get("what") == "mediation"
    values = {k: v for k, v in typed.items() if v} | flags | {"consent_version": str(form.get("consent_version") or ""),
                                                             "channel": "wechat" if form.get("channel") == "wechat"
                                                             else "web"}
    files = [f for f in form.getlist("evidence") if isinstance(f, UploadFile) and f.filename]
    try:
        data = ApplicationIn.model_validate(values)
        if len(files) > MAX_APPLICATION_FILES:
            raise InvalidInput(f"最多上传 {MAX_APPLICATION_FILES} 个文件 (at most {MAX_APPLICATION_FILES} files)",
                               errors=[{"loc": ["evidence"], "msg": "too many files", "type": "value_error"}])
        with session.begin_nested():  # a refusal below leaves nothing behind, and the page still answers
            contact = applications.apply(session, settings, proved=proved, data=data,
                                         client=client_address(request), language=language)
            for upload in files:
                attachments.add_from_consumer(session, settings, contact=contact, filename=upload.filename,
                                              actor=f"consumer:{mask_phone(proved.phone)}",
                                              data=upload.file.read(settings.evidence_max_bytes + 1))
    except ValidationError as exc:
        problems = [dict(e) for e in exc.errors()]
    except DomainError as exc:
        problems = list(exc.extensions.get("errors") or [{"loc": [], "msg": label("error", exc.slug, language),
                                                           "type": "value_error"}])
    else:
        return redirect(request, "/my/matters", ok="self_applied", number=contact.number)
    errors = field_errors(problems, _apply_field, language)
    if "consent" in errors:
        errors["consent"] = translator(language)("self.consent.needed")
    return _apply_page(request, session, settings, form=typed | flags | {"channel": values["channel"]}, errors=errors,
                       status=422)


def _apply_field(loc: tuple) -> str | None:
    field = loc[-1] if loc else None
    return field if field in APPLY_FIELDS + APPLY_FLAGS + ("evidence",) else None


@router.post("/my/complaints/{number}/supplement", dependencies=[CsrfChecked])
def supplement(number: str, request: Request, session: SessionDep, tokens: TokensDep,
               text: Annotated[str, Form(max_length=5000)] = "") -> Response:
    proved = _my_phone(request, session, tokens)
    contact = service.complaint_of(session, phone=proved.phone, number=number, for_update=True)
    if contact is None or not text.strip():
        return redirect(request, "/my/matters")
    try:
        with session.begin_nested():
            review.supplement(session, contact=contact, actor=f"consumer:{mask_phone(proved.phone)}", text=text)
    except DomainError:  # answered already (no longer waiting): the list shows where it stands
        return redirect(request, "/my/matters")
    return redirect(request, "/my/matters", ok="self_supplemented")


@router.post("/my/cases/{number}/messages", dependencies=[CsrfChecked])
def write(number: str, request: Request, session: SessionDep, settings: SettingsDep, tokens: TokensDep,
          text: Annotated[str, Form(max_length=4000)] = "") -> Response:
    proved, case = _my_case(request, session, tokens, number)
    url = f"/my/cases/{quote(case.number)}"
    try:
        with session.begin_nested():
            case_messages.from_consumer(session, settings, case=case, phone=proved.phone,
                                        author=f"consumer:{mask_phone(proved.phone)}", text=text)
    except DomainError:  # empty or too long: the form is there again
        return redirect(request, url, ok="self_talk_empty")
    return redirect(request, url + "#thread", ok="self_talk_sent")


@router.post("/my/cases/{number}/documents/{document_id}", dependencies=[CsrfChecked])
def receive(number: str, document_id: str, request: Request, session: SessionDep, tokens: TokensDep,
            id_last4: Annotated[str, Form(max_length=8)] = "") -> Response:
    proved, case = _my_case(request, session, tokens, number)
    try:
        download = service.document_for(session, proved=proved, case=case, document_id=document_id,
                                        id_last4=id_last4)
    except DomainError as exc:
        key = "self_id_locked" if exc.status == 429 else "self_id_wrong"
        return redirect(request, f"/my/cases/{quote(case.number)}", ok=key)
    return Response(download.pdf, media_type="application/pdf", headers=download.headers())


@router.get("/my/cases/{number}/sessions/{session_id}/calendar.ics")
def session_calendar(number: str, session_id: int, request: Request, session: SessionDep, settings: SettingsDep,
                     tokens: TokensDep) -> Response:
    """The session as a calendar entry (RFC 5545) for the consumer's phone calendar."""
    proved = _my_phone(request, session, tokens)
    case = service.case_of(session, phone=proved.phone, number=number)
    ms = service.session_of(session, case=case, session_id=session_id) if case else None
    if case is None or ms is None:
        return redirect(request, "/my/matters")
    return Response(invitation(event_of(session, settings, ms, case)), media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="session-{session_id}.ics"',
                             "Cache-Control": "no-store"})


@router.post("/my/cases/{number}/sign/{participant_id}/resend", dependencies=[CsrfChecked])
def resend_signing_link(number: str, participant_id: int, request: Request, session: SessionDep,
                        settings: SettingsDep, tokens: TokensDep) -> Response:
    """The signing SMS again, to the same phone (lost or deleted): then sign from that link as before."""
    proved, case = _my_case(request, session, tokens, number)
    url = f"/my/cases/{quote(case.number)}"
    try:
        with session.begin_nested():
            service.resend_my_link(session, settings, tokens, proved=proved, case=case, participant_id=participant_id)
    except DomainError as exc:
        return redirect(request, url, ok="self_resend_refused" if exc.status != 429 else "self_resend_limit")
    return redirect(request, url, ok="self_resent")


@router.post("/my/cases/{number}/evidence", dependencies=[CsrfChecked])
def upload_evidence(number: str, request: Request, session: SessionDep, settings: SettingsDep, tokens: TokensDep,
                    upload: UploadDep) -> Response:
    """A photo or a PDF for the case, checked as the API checks it; the page says what was wrong, if anything."""
    proved, case = _my_case(request, session, tokens, number)
    url = f"/my/cases/{quote(case.number)}"
    try:
        with session.begin_nested():
            item = evidence.add(session, settings=settings, case=case, side="consumer", filename=upload.filename,
                                uploaded_by=f"consumer:{mask_phone(proved.phone)}", data=upload.data,
                                description=upload.description)
    except DomainError as exc:
        return redirect(request, url + "#evidence", ok="self_evidence_refused",
                        reason=label("error", exc.slug, language_of(request)))
    return redirect(request, url + "#evidence", ok="self_evidence_added", name=item.filename, sha256=item.sha256)


@router.get("/my/cases/{number}/evidence/{item_id}")
def evidence_file(number: str, item_id: int, request: Request, session: SessionDep, tokens: TokensDep) -> Response:
    proved, case = _my_case(request, session, tokens, number)
    return evidence_download(evidence.item_of(session, case=case, item_id=item_id))


@router.post("/my/cases/{number}/service-address", dependencies=[CsrfChecked])
def confirm_service_address(number: str, request: Request, session: SessionDep, tokens: TokensDep, form: FormDep) -> Response:
    """The 送达地址确认书, confirmed by the party: where the court serves them and whether electronically."""
    proved, case = _my_case(request, session, tokens, number)
    channels = [c for c in ("sms", "email") if form.get(f"by_{c}") == "on"]
    try:
        with session.begin_nested():
            service.confirm_service_address(session, proved=proved, case=case, address=str(form.get("address") or ""),
                                            postcode=str(form.get("postcode") or "").strip(),
                                            email=str(form.get("email") or "").strip(), channels=channels)
    except DomainError:
        return redirect(request, f"/my/cases/{quote(case.number)}#service-address", ok="self_address_invalid")
    return redirect(request, f"/my/cases/{quote(case.number)}#service-address", ok="self_address_confirmed")
