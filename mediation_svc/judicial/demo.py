"""Demo judicial confirmation: the motor-claim agreement, signed by everyone in the signing demo, goes to
court. The joint application (司法确认申请书) is rendered and signed by the same signers, the evidence
package is built, and the case is shared with the demo court clerk (court.tianhe), who can download and
verify the package and record the ruling on the shared-case page."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import Session

from ..config import Settings
from ..db import id_of, utcnow
from ..pki.keystore import KeyStore
from ..security.tokens import TokenService
from ..signing import demo as signing_demo
from ..signing import service as signing
from . import service

log = logging.getLogger("mediation_svc.judicial.demo")

COURT_NAME = "广州市天河区人民法院"


def seed(session: Session, settings: Settings, context) -> None:
    rep = getattr(context, "representatives", {}).get("motor_claim")
    case = context.cases.get("motor_claim")
    if rep is None or case is None:
        return  # the signing demo did not sign the agreement (no keys yet)
    from ..pki.settings import get_pki_settings
    from ..pki.tsa import timestamper_from_settings

    keystore = KeyStore.from_settings(settings)
    tokens = TokenService(keystore=keystore, audience=settings.token_audience, issuer=settings.public_base_url)
    timestamper = timestamper_from_settings(keystore, get_pki_settings())
    officer = context.users["officer.li"]
    application = service.start_application(session, settings, tokens, keystore, case=case, court_name=COURT_NAME,
                                            deadline_at=utcnow() + timedelta(days=10), actor=officer,
                                            representatives=[rep])
    request = (session.get(signing.SigningRequest, application.signing_request_id)
               if application.signing_request_id is not None else None)
    if request is None:
        raise RuntimeError(f"judicial application {application.id} has no signing request")
    for participant in signing.participants_of(session, id_of(request)):
        if participant.kind == "representative" and participant.authorisation_sha256 is None:
            signing_demo.file_demo_letter(session, settings, tokens, request=request, participant=participant,
                                          case=case, officer=officer, id_number=rep.id_number)
    signing_demo.sign_for_everyone(session, settings, tokens, keystore, timestamper, request=request,
                                   officer=officer,
                                   id_numbers=signing_demo.party_id_numbers(session, case.id, rep.id_number))
    service.build_package(session, settings, keystore, case=case, actor=officer)
    service.share_with_court(session, case=case, court_user_id=context.users["court.tianhe"].id, days=30,
                             actor=officer)

