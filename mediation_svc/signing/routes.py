"""Signing API: officers and mediators manage requests (/api/v1/signing-requests), signers follow their link
(/api/v1/sign/...: link -> code -> session token -> document, consent, drawing, confirm). Thin: parse,
call ``service``, return."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response
from sqlmodel import Session

from ..accounts.models import User
from ..deps import (CurrentUser, KeyStoreDep, RawBody, SessionDep, SettingsDep, StaffUser, TimestamperDep, TokensDep,
                    actor_of, client_address)
from ..db import id_of
from ..errors import InvalidInput, Unauthenticated
from ..idempotency import IdempotencyDep
from ..reliability import ClientPresent
from ..security import access
from . import seal_images, service
from .models import SigningParticipant, SigningRequest
from .schemas import (CodeIn, CodeSent, ConsentIn, ConsentRead, DeclineIn, Declined, DrawingRead, ExternalFinishIn,
                      ExternalPrepared, KeyFinishIn, KeyPrepared, KeyPrepareIn, LinkIn, OnsiteLink, ParticipantRead,
                      ReasonIn, Reminded, RequestOpen, RequestRead, RevisionEvent, RevisionRead, SignerHome,
                      SignerOpenView, SignerSession, VerifyIn)
from .store import request_of

router = APIRouter(prefix="/api/v1", tags=["signing"])




def signer_token(authorization: Annotated[str | None, Header()] = None) -> str:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthenticated("send the signing session token (Authorization: Bearer <token>)")
    return authorization.split(" ", 1)[1].strip()


SignerToken = Annotated[str, Depends(signer_token)]


def client_of(request: Request) -> service.Client:
    return service.Client(address=client_address(request), user_agent=request.headers.get("user-agent", ""))


def to_read(session, request: SigningRequest) -> RequestRead:
    participants = [ParticipantRead(**p.model_dump()) for p in service.participants_of(session, id_of(request))]
    return RequestRead(**request.model_dump(), participants=participants)


def _pem_to_der(pem: str | None) -> bytes | None:
    if not pem:
        return None
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    try:
        return x509.load_pem_x509_certificate(pem.encode()).public_bytes(Encoding.DER)
    except ValueError:
        raise InvalidInput("certificate_pem is not a PEM certificate") from None


# -- officers and mediators ---------------------------------------------------------------------------------

@router.post("/cases/{case_id}/signing-requests", response_model=RequestRead, status_code=201)
def open_request(case_id: int, body: RequestOpen, session: SessionDep, settings: SettingsDep, tokens: TokensDep,
                 keystore: KeyStoreDep, user: CurrentUser, idempotency: IdempotencyDep) -> RequestRead:
    from ..cases.service import get_visible_case_or_404

    def produce() -> RequestRead:
        case = get_visible_case_or_404(session, user=user, case_id=case_id, for_update=True)
        reps = [service.RepresentativeSpec(party_id=r.party_id, name=r.name, phone=r.phone, id_number=r.id_number,
                                           account_user_id=r.account_user_id, nomination_id=r.nomination_id,
                                           mode=service.SigningMode(r.mode),
                                           certificate_der=_pem_to_der(r.certificate_pem))
                for r in body.representatives]
        request = service.open_request(session, settings, tokens, keystore, case=case, document_id=body.document_id,
                                       deadline_at=body.deadline_at, representatives=reps, actor=user)
        return to_read(session, request)

    # Idempotency-Key: a retried request returns the request it opened instead of a second one.
    return idempotency.run(produce, owner=actor_of(user), body=body, status_code=201)


@router.get("/signing-requests/{request_id}", response_model=RequestRead)
def get_request(request_id: int, session: SessionDep, user: CurrentUser) -> RequestRead:
    request, _case = service.get_visible_request_or_404(session, user=user, request_id=request_id)
    return to_read(session, request)


def _locked_signer(session: Session, user: User, request_id: int,
                   participant_id: int) -> tuple[SigningRequest, SigningParticipant]:
    """The signer of a request ``user`` sees, the request locked (404 for either missing or unseen)."""
    request, _case = service.get_visible_request_or_404(session, user=user, request_id=request_id, for_update=True)
    return request, service.get_participant_or_404(session, request=request, participant_id=participant_id)


@router.put("/signing-requests/{request_id}/participants/{participant_id}/authorisation",
            response_model=ParticipantRead, summary="Upload the representative's 授权委托书 (application/pdf body)")
def upload_authorisation(request_id: int, participant_id: int, body: RawBody, session: SessionDep,
                         user: CurrentUser) -> ParticipantRead:
    request, participant = _locked_signer(session, user, request_id, participant_id)
    service.upload_authorisation(session, request=request, participant=participant, pdf=body, actor=user)
    return ParticipantRead(**participant.model_dump())


@router.put("/signing-requests/{request_id}/participants/{participant_id}/institution-seal",
            response_model=ParticipantRead,
            summary="File the institution's seal image with the 授权委托书 (image/png or image/jpeg body)")
def upload_institution_seal(request_id: int, participant_id: int, body: RawBody, session: SessionDep,
                            user: CurrentUser) -> ParticipantRead:
    request, participant = _locked_signer(session, user, request_id, participant_id)
    seal_images.upload_institution_seal(session, request=request, participant=participant, image=body, actor=user)
    return ParticipantRead(**participant.model_dump())


@router.post("/signing-requests/{request_id}/participants/{participant_id}/authorisation/approve",
             response_model=RequestRead)
def approve_authorisation(request_id: int, participant_id: int, session: SessionDep, settings: SettingsDep,
                          tokens: TokensDep, user: StaffUser) -> RequestRead:
    request, participant = _locked_signer(session, user, request_id, participant_id)
    service.approve_authorisation(session, settings, tokens, request=request, participant=participant, actor=user)
    return to_read(session, request)


@router.post("/signing-requests/{request_id}/participants/{participant_id}/link", status_code=204,
             summary="Send the signer a fresh link by SMS (the old link and any locked code stop working)")
def resend_link(request_id: int, participant_id: int, session: SessionDep, settings: SettingsDep, tokens: TokensDep,
                user: StaffUser) -> Response:
    request, participant = _locked_signer(session, user, request_id, participant_id)
    service.resend_link(session, settings, tokens, request=request, participant=participant, actor=user)
    return Response(status_code=204)


@router.post("/signing-requests/{request_id}/participants/{participant_id}/onsite", response_model=OnsiteLink,
             summary="Mediator: start on-site signing on the center's tablet; returns the link for the tablet")
def start_onsite(request_id: int, participant_id: int, session: SessionDep, settings: SettingsDep,
                 tokens: TokensDep, user: CurrentUser) -> OnsiteLink:
    request, participant = _locked_signer(session, user, request_id, participant_id)
    link = service.start_onsite(session, settings, tokens, request=request, participant=participant, host=user)
    return OnsiteLink(link=link)


@router.post("/signing-requests/{request_id}/seal", dependencies=[ClientPresent], response_model=RevisionRead,
             summary="Apply the center's seal (the last signer) and close the file to PAdES B-LTA")
def apply_seal(request_id: int, session: SessionDep, settings: SettingsDep, keystore: KeyStoreDep,
               timestamper: TimestamperDep, user: StaffUser) -> RevisionRead:
    request, _case = service.get_visible_request_or_404(session, user=user, request_id=request_id)
    revision = service.apply_seal(session, settings, keystore, timestamper, request=request, actor=user)
    return RevisionRead(**revision.model_dump(), request_status=request.status)


@router.post("/signing-requests/{request_id}/remind", response_model=Reminded)
def remind(request_id: int, session: SessionDep, settings: SettingsDep, user: CurrentUser) -> Reminded:
    request, _case = service.get_visible_request_or_404(session, user=user, request_id=request_id, for_update=True)
    service.check_may_remind(session, request=request, user=user)
    return Reminded(reminded=service.remind(session, settings, request=request, actor=actor_of(user)))


@router.post("/signing-requests/{request_id}/void", response_model=RequestRead)
def void(request_id: int, body: ReasonIn, session: SessionDep, settings: SettingsDep, user: StaffUser) -> RequestRead:
    request, _case = service.get_visible_request_or_404(session, user=user, request_id=request_id)
    request = service.void(session, settings, request=request, reason=body.reason, actor=user)
    return to_read(session, request)


@router.get("/signing-requests/{request_id}/document.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def signed_document(request_id: int, session: SessionDep, user: CurrentUser) -> Response:
    request, _case = service.get_visible_request_or_404(session, user=user, request_id=request_id)
    access.require(user, access.Obj.AGREEMENT)
    return Response(service.current_pdf(session, request), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="signing-{request.id}.pdf"'})


@router.get("/signing-requests/{request_id}/events", response_model=list[RevisionEvent])
def events(request_id: int, session: SessionDep, user: CurrentUser) -> list[RevisionEvent]:
    request, _case = service.get_visible_request_or_404(session, user=user, request_id=request_id)
    access.require(user, access.Obj.SIGNING_EVIDENCE)
    return [RevisionEvent.model_validate(e) for e in service.signing_events(session, document_id=request.document_id)
            if e["request_id"] == request.id]


# -- the signer (no account: the link, then a short-lived session token) -------------------------------------

@router.post("/signing-requests/{request_id}/mediator/code", response_model=CodeSent,
             summary="The case's mediator, logged in: send the SMS code to sign from the console")
def mediator_code(request_id: int, session: SessionDep, settings: SettingsDep, keystore: KeyStoreDep,
                  user: CurrentUser) -> CodeSent:
    request, _case = service.get_visible_request_or_404(session, user=user, request_id=request_id)
    return CodeSent.model_validate(service.console_code(session, settings, keystore, request=request, user=user))


@router.post("/signing-requests/{request_id}/mediator/verify", response_model=SignerSession,
             summary="The case's mediator, logged in: the SMS code -> a signing session token")
def mediator_verify(request_id: int, body: CodeIn, http: Request, session: SessionDep, settings: SettingsDep,
                    tokens: TokensDep, keystore: KeyStoreDep, user: CurrentUser) -> SignerSession:
    request, _case = service.get_visible_request_or_404(session, user=user, request_id=request_id)
    return SignerSession.model_validate(service.console_verify(session, settings, tokens, keystore, request=request,
                                                               user=user, code=body.code, client=client_of(http)))


@router.post("/sign/code", response_model=CodeSent,
             summary="Send the one-time code to the phone on record (link: the code in /s/<code>)")
def request_code(body: LinkIn, http: Request, session: SessionDep, settings: SettingsDep, tokens: TokensDep,
                 keystore: KeyStoreDep) -> CodeSent:
    return CodeSent.model_validate(service.request_code(session, settings, tokens, keystore, link_code=body.link,
                                                        address=client_address(http)))


@router.post("/sign/verify", response_model=SignerSession,
             summary="Code + last four characters of the ID number -> signing session token")
def verify(body: VerifyIn, http: Request, session: SessionDep, settings: SettingsDep, tokens: TokensDep,
           keystore: KeyStoreDep) -> SignerSession:
    return SignerSession.model_validate(service.verify_identity(session, settings, tokens, keystore, link_code=body.link,
                                                                code=body.code, id_last4=body.id_last4,
                                                                client=client_of(http)))


@router.get("/sign/session", response_model=SignerOpenView | SignerHome,
            summary="Where the signer stands (state), and while open what they sign")
def signer_view(session: SessionDep, tokens: TokensDep, token: SignerToken) -> SignerOpenView | SignerHome:
    home = service.signer_home(session, tokens, session_token=token)
    if home["state"] != "open":
        return SignerHome.model_validate(home)
    return SignerOpenView.model_validate({
        **service.signer_view(session, tokens, session_token=token),
        "possession_challenge": service.signer_challenge(session, tokens, session_token=token)})


@router.get("/sign/session/document", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def signer_document(session: SessionDep, tokens: TokensDep, token: SignerToken) -> Response:
    pdf = service.signer_document(session, tokens, session_token=token)
    return Response(pdf, media_type="application/pdf", headers={"Cache-Control": "no-store"})


@router.post("/sign/session/consent", response_model=ConsentRead)
def consent(body: ConsentIn, session: SessionDep, tokens: TokensDep, token: SignerToken) -> ConsentRead:
    return ConsentRead(consent_sha256=service.accept_consent(session, tokens, session_token=token,
                                                             consent_text=body.consent_text,
                                                             key_origin=body.key_origin))


@router.put("/sign/session/drawing", response_model=DrawingRead, summary="The drawn signature (image/png body)")
def drawing(body: RawBody, session: SessionDep, tokens: TokensDep, token: SignerToken) -> DrawingRead:
    return DrawingRead(sha256=service.save_drawing(session, tokens, session_token=token, png=body))


@router.post("/sign/session/confirm", dependencies=[ClientPresent], response_model=RevisionRead)
def confirm(http: Request, session: SessionDep, settings: SettingsDep, tokens: TokensDep, keystore: KeyStoreDep,
            timestamper: TimestamperDep, token: SignerToken) -> RevisionRead:
    revision = service.confirm(session, settings, tokens, keystore, timestamper, session_token=token,
                               client=client_of(http))
    request = request_of(session, revision.request_id)
    return RevisionRead(**revision.model_dump(), request_status=request.status)


@router.post("/sign/session/key/prepare", dependencies=[ClientPresent], response_model=KeyPrepared,
             summary="The browser's public key and proof of possession -> the CMS signed attributes to sign")
def key_prepare(body: KeyPrepareIn, http: Request, session: SessionDep, settings: SettingsDep, tokens: TokensDep,
                keystore: KeyStoreDep, token: SignerToken) -> KeyPrepared:
    return KeyPrepared.model_validate(service.prepare_browser_key(
        session, settings, tokens, keystore, session_token=token,
        public_key_der=_b64(body.public_key_b64, "public_key_b64"),
        possession_signature=_b64(body.possession_signature_b64, "possession_signature_b64"),
        client=client_of(http)))


@router.post("/sign/session/key/finish", dependencies=[ClientPresent], response_model=RevisionRead,
             summary="The browser's ECDSA signature (r||s) over the signed attributes -> the signed revision")
def key_finish(body: KeyFinishIn, session: SessionDep, settings: SettingsDep, tokens: TokensDep,
               timestamper: TimestamperDep, token: SignerToken) -> RevisionRead:
    revision = service.finish_browser_key(session, settings, tokens, timestamper, session_token=token,
                                          signature=_b64(body.signature_b64, "signature_b64"))
    request = request_of(session, revision.request_id)
    return RevisionRead(**revision.model_dump(), request_status=request.status)


def _b64(value: str, name: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(f"{name} is not base64", errors=[{"loc": ["body", name], "msg": "not base64"}]) from None


@router.post("/sign/session/decline", response_model=Declined)
def decline(body: DeclineIn, session: SessionDep, settings: SettingsDep, tokens: TokensDep,
            token: SignerToken) -> Declined:
    request = service.decline(session, settings, tokens, session_token=token, reason=body.reason)
    return Declined(request_status=request.status)


@router.post("/sign/session/external/prepare", response_model=ExternalPrepared)
def external_prepare(session: SessionDep, tokens: TokensDep, token: SignerToken) -> ExternalPrepared:
    return ExternalPrepared.model_validate(service.prepare_external(session, tokens, session_token=token))


@router.post("/sign/session/external/finish", dependencies=[ClientPresent], response_model=RevisionRead)
def external_finish(body: ExternalFinishIn, http: Request, session: SessionDep, settings: SettingsDep,
                    tokens: TokensDep, timestamper: TimestamperDep, token: SignerToken) -> RevisionRead:
    try:
        cms_der = base64.b64decode(body.cms_b64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("cms_b64 is not base64") from None
    revision = service.finish_external(session, settings, tokens, timestamper, session_token=token,
                                       cms_der=cms_der, client=client_of(http))
    request = request_of(session, revision.request_id)
    return RevisionRead(**revision.model_dump(), request_status=request.status)
