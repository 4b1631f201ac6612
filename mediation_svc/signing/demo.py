"""Demo signing requests, through the same service calls as the API and the signer pages:

- the critical-illness agreement: a request with the insurer's representative, whose authorisation letter
  (授权委托书) the case officer has checked, so the request is open and the parties' signing links sit in
  the SMS outbox (in development the dispatcher writes them to the log);
- the motor-claim agreement: signed by everyone (each signer with a one-time code and the last four
  characters of their ID, a drawn signature, then the mediator and the center's seal, closed to B-LTA), so
  that the judicial demo can take it to court.

Prints nothing: links and codes are secrets."""

from __future__ import annotations

import logging
from datetime import timedelta

import base64
import re

from sqlmodel import Session, col, select

from ..accounts.models import User
from ..cases.models import CaseParty
from ..config import Settings
from ..db import id_of, utcnow
from ..notifications.models import OutboxMessage
from ..pki.keystore import KeyStore, KeyStoreError
from ..security.tokens import TokenService
from . import service
from .models import SignerKind, SignerStatus
from .remote_key import possession_message

log = logging.getLogger("mediation_svc.signing.demo")

LETTER_HTML = """<html lang="zh"><head><style>body{{font-family:'Noto Serif CJK SC',serif;font-size:12pt}}
h1{{text-align:center}}</style></head><body><h1>授权委托书</h1>
<p>委托单位：{institution}</p><p>受托人：{name}，身份证号码：{id_masked}，职务：理赔部经理</p>
<p>现委托上述受托人作为我单位代理人，参加{case_number}纠纷的调解，并代为签署调解协议书。代理权限：特别授权。</p>
<p>委托单位（盖章）　　　　法定代表人（签字）</p></body></html>"""
REP_NAME, REP_PHONE = "刘敏", "13600136001"
MOTOR_REP = ("周振宇", "13600136002", "44030519880923003")
DEMO_CLIENT = service.Client(address="127.0.0.1", user_agent="mediation-svc seed-demo (on-site tablet)")


def _with_check_digit(body: str) -> str:
    from stdnum.cn import ric

    return body + ric.calc_check_digit(body + "0")


def _rep_id() -> str:
    return _with_check_digit("44010619850716002")


def seed(session: Session, settings: Settings, context) -> None:
    documents = getattr(context, "documents", {})
    if not documents:
        return
    try:
        keystore = KeyStore.from_settings(settings)
        tokens = TokenService(keystore=keystore, audience=settings.token_audience, issuer=settings.public_base_url)
        tokens.public_pem()
    except KeyStoreError as exc:
        log.warning("signing demo skipped: %s", exc)
        return
    officer = context.users["officer.li"]
    if "critical_illness" in documents:
        case = context.cases["critical_illness"]
        _open_with_checked_letter(session, settings, tokens, keystore, case=case,
                                  document_id=documents["critical_illness"].id, officer=officer,
                                  rep=_representative(session, case, REP_NAME, REP_PHONE, _rep_id()))
    if "motor_claim" in documents:
        from ..pki.settings import get_pki_settings
        from ..pki.tsa import timestamper_from_settings

        timestamper = timestamper_from_settings(keystore, get_pki_settings())
        case = context.cases["motor_claim"]
        rep_id = _with_check_digit(MOTOR_REP[2])
        rep = _representative(session, case, MOTOR_REP[0], MOTOR_REP[1], rep_id)
        request = _open_with_checked_letter(session, settings, tokens, keystore, case=case,
                                            document_id=documents["motor_claim"].id, officer=officer, rep=rep)
        sign_for_everyone(session, settings, tokens, keystore, timestamper, request=request, officer=officer,
                          id_numbers=party_id_numbers(session, case.id, rep_id))
        # the judicial demo has the same representative sign the joint application
        context.representatives = {"motor_claim": rep}


def _representative(session: Session, case, name: str, phone: str, id_number: str) -> service.RepresentativeSpec:
    institution = session.exec(select(CaseParty).where(CaseParty.case_id == case.id,
                                                       CaseParty.kind == "institution")).one()
    return service.RepresentativeSpec(party_id=id_of(institution), name=name, phone=phone, id_number=id_number)


def party_id_numbers(session: Session, case_id: int, rep_id: str) -> dict[str, str]:
    numbers = {p.name: p.id_number for p in session.exec(select(CaseParty).where(CaseParty.case_id == case_id))
               if p.id_number}
    return {**numbers, "representative": rep_id}


def _open_with_checked_letter(session: Session, settings: Settings, tokens, keystore, *, case, document_id: str,
                              officer, rep: service.RepresentativeSpec):
    request = service.open_request(session, settings, tokens, keystore, case=case, document_id=document_id,
                                   deadline_at=utcnow() + timedelta(days=10), actor=officer, representatives=[rep])
    participant = next(p for p in service.participants_of(session, id_of(request)) if p.kind == "representative")
    if rep.id_number is None:
        raise ValueError("the demo representative's authorisation letter names their ID number: give one")
    file_demo_letter(session, settings, tokens, request=request, participant=participant, case=case, officer=officer,
                     id_number=rep.id_number)
    return request


def file_demo_letter(session: Session, settings: Settings, tokens, *, request, participant, case, officer,
                     id_number: str) -> None:
    """The representative's authorisation letter, uploaded and checked by the officer."""
    import weasyprint

    from ..security.pipl import mask_id_number

    institution = session.get(CaseParty, participant.party_id)
    if institution is None:
        raise RuntimeError(f"the party {participant.party_id} the representative signs for is not on file")
    letter = weasyprint.HTML(string=LETTER_HTML.format(institution=institution.name, case_number=case.number,
                                                       name=participant.name,
                                                       id_masked=mask_id_number(id_number))).write_pdf()
    service.upload_authorisation(session, request=request, participant=participant, pdf=letter, actor=officer)
    service.approve_authorisation(session, settings, tokens, request=request, participant=participant, actor=officer)


def sign_for_everyone(session: Session, settings: Settings, tokens, keystore, timestamper, *, request, officer,
                      id_numbers: dict[str, str]) -> None:
    """Each signer in turn goes through the signer's steps (the code read from the SMS outbox, as from their
    phone); then the officer applies the seal. ``id_numbers``: by signer name, and "representative"."""
    while True:
        pending = [p for p in service.participants_of(session, id_of(request))
                   if p.status == SignerStatus.PENDING.value and p.kind != SignerKind.SEAL.value]
        if not pending:
            break
        for participant in pending:
            id_number = id_numbers.get("representative" if participant.kind == SignerKind.REPRESENTATIVE.value
                                       else participant.name)
            _sign_as(session, settings, tokens, keystore, timestamper, request=request, participant=participant,
                     id_last4=id_number[-4:] if id_number else None)
    service.apply_seal(session, settings, keystore, timestamper, request=request, actor=officer)


def _sign_as(session: Session, settings: Settings, tokens, keystore, timestamper, *, request, participant,
             id_last4: str | None) -> None:
    """The signer's steps as their phone takes them; the demo plays the phone's browser, whose WebCrypto key
    (here: an in-memory P-256 key of the seeding process) never reaches the service's functions."""
    if participant.kind == SignerKind.MEDIATOR.value:
        mediator = session.get(User, participant.user_id) if participant.user_id is not None else None
        if mediator is None:
            raise RuntimeError(f"the mediator who signs as {participant.name} has no account on file")
        service.console_code(session, settings, keystore, request=request, user=mediator)
        signer = service.console_verify(session, settings, tokens, keystore, request=request, user=mediator,
                                        code=_last_code(session, participant), client=DEMO_CLIENT)["session_token"]
    else:
        link = service.issue_link(session, settings, tokens, request=request, participant=participant,
                                  actor="seed-demo", send=False)
        service.request_code(session, settings, tokens, keystore, link_code=link, address=DEMO_CLIENT.address)
        signer = service.verify_identity(session, settings, tokens, keystore, link_code=link,
                                         code=_last_code(session, participant), id_last4=id_last4,
                                         client=DEMO_CLIENT)["session_token"]
    service.signer_document(session, tokens, session_token=signer)
    consent = service.signer_view(session, tokens, session_token=signer)["consent_text"]
    service.accept_consent(session, tokens, session_token=signer, consent_text=consent)
    service.save_drawing(session, tokens, session_token=signer, png=_drawn_signature(participant.name))
    phone = PhoneKey()
    challenge = service.signer_challenge(session, tokens, session_token=signer)
    prepared = service.prepare_browser_key(session, settings, tokens, keystore, session_token=signer,
                                           public_key_der=phone.spki(),
                                           possession_signature=phone.sign(possession_message(challenge)),
                                           client=DEMO_CLIENT)
    service.finish_browser_key(session, settings, tokens, timestamper, session_token=signer,
                               signature=phone.sign(base64.b64decode(prepared["signed_attributes_b64"])))


def _last_code(session: Session, participant) -> str:
    sms = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "signing.otp",
                                                   OutboxMessage.ref == f"signing_participant:{participant.id}")
                       .order_by(col(OutboxMessage.id).desc())).first()
    code = re.search(r"\d{6}", sms.body) if sms is not None else None
    if code is None:
        raise RuntimeError(f"no one-time code was sent to signer {participant.id}")
    return code.group(0)


class PhoneKey:
    """Stands in for the signer's browser (the demo, the tests, the benchmark): a P-256 key that only this
    object holds, and signatures as WebCrypto gives them (r || s)."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import ec

        self._key = ec.generate_private_key(ec.SECP256R1())

    def spki(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self._key.public_key().public_bytes(serialization.Encoding.DER,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)

    def sign(self, data: bytes) -> bytes:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        r, s = decode_dss_signature(self._key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _drawn_signature(name: str) -> bytes:
    """The signer's name as if written with a finger on the tablet (a transparent PNG)."""
    import io

    from PIL import Image, ImageDraw, ImageFont

    from ..documents.fonts import FACES

    image = Image.new("RGBA", (480, 160), (255, 255, 255, 0))
    font = ImageFont.truetype(str(FACES[0].source), 96)
    ImageDraw.Draw(image).text((24, 24), name, fill=(20, 30, 90, 255), font=font)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
