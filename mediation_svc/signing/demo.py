"""Demo signing request: on the critical-illness agreement the documents demo finalised, a request with the
insurer's representative, whose authorisation letter (授权委托书) the case officer has checked, so the
request is open and the parties' signing links sit in the SMS outbox. Prints nothing (links and codes are
secrets; in development the SMS gateway writes them to the log when the dispatcher runs)."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import Session, select

from ..cases.models import CaseParty
from ..config import Settings
from ..db import utcnow
from ..pki.keystore import KeyStore, KeyStoreError
from ..security.tokens import TokenService
from . import service

log = logging.getLogger("mediation_svc.signing.demo")

LETTER_HTML = """<html lang="zh"><head><style>body{{font-family:'Noto Serif CJK SC',serif;font-size:12pt}}
h1{{text-align:center}}</style></head><body><h1>授权委托书</h1>
<p>委托单位：{institution}</p><p>受托人：刘敏，身份证号码：{id_masked}，职务：理赔部经理</p>
<p>现委托上述受托人作为我单位代理人，参加{case_number}纠纷的调解，并代为签署调解协议书。代理权限：特别授权。</p>
<p>委托单位（盖章）　　　　法定代表人（签字）</p></body></html>"""
REP_NAME, REP_PHONE = "刘敏", "13600136001"


def _rep_id() -> str:
    from stdnum.cn import ric

    body = "44010619850716002"
    return body + ric.calc_check_digit(body + "0")


def seed(session: Session, settings: Settings, context) -> None:
    document = getattr(context, "documents", {}).get("critical_illness")
    if document is None:
        return
    try:
        keystore = KeyStore.from_settings(settings)
        tokens = TokenService(keystore=keystore, audience=settings.token_audience, issuer=settings.public_base_url)
        tokens.public_pem()
    except KeyStoreError as exc:
        log.warning("signing demo skipped: %s", exc)
        return
    import weasyprint

    from ..cases.identity import mask_id_number

    case = context.cases["critical_illness"]
    officer = context.users["officer.li"]
    insurer = session.exec(select(CaseParty).where(CaseParty.case_id == case.id,
                                                   CaseParty.kind == "institution")).one()
    request = service.open_request(
        session, settings, tokens, keystore, case=case, document_id=document.id,
        deadline_at=utcnow() + timedelta(days=10), actor=officer,
        representatives=[service.RepresentativeSpec(party_id=insurer.id, name=REP_NAME, phone=REP_PHONE,
                                                     id_number=_rep_id())])
    rep = next(p for p in service.participants_of(session, request.id) if p.kind == "representative")
    letter = weasyprint.HTML(string=LETTER_HTML.format(institution=insurer.name, case_number=case.number,
                                                       id_masked=mask_id_number(_rep_id()))).write_pdf()
    service.upload_authorisation(session, request=request, participant=rep, pdf=letter, actor=officer)
    service.approve_authorisation(session, settings, tokens, request=request, participant=rep, actor=officer)
