"""A signing request's life as the officers see it: opening it on a finalised document (its signers: the parties or
their representatives, the mediator, the center's seal), the representatives' letters of authority (授权委托书),
and its end without completion: declined, voided, expired, or closed because the document was superseded."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from ..accounts.models import User
from ..cases.models import Case, CaseParty
from ..cases.service import parties_of
from ..config import Settings
from ..db import id_of, is_postgresql, utcnow
from ..documents.models import Document, DocumentStatus, Draft, DraftVersion
from ..documents.service import mark_status, supersede
from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from ..notifications.models import Channel
from ..notifications.outbox import cancel_pending, enqueue
from ..phones import normalise_mobile
from ..pki.keystore import KeyStore
from ..security.pipl import mask_id_number
from ..security.tokens import TokenService
from . import appearance, credentials, identity, seal_images, uploads
from .messages import CLOSED_SMS, activate_next_stage, fit_sms
from .models import (STAGE_MEDIATOR, STAGE_PARTIES, STAGE_SEAL, RequestStatus, SignerKind, SignerStatus,
                     SigningMode, SigningParticipant, SigningRequest)
from .policy import ACTIVE, ROLE_LABELS, SIGNABLE_KINDS, may_manage_request, may_open_request
from .store import (RepresentativeSpec, audit_request, document_of, lock_request, participants_of, selected_ids,
                    user_actor)


def open_request(session: Session, settings: Settings, tokens: TokenService, keystore: KeyStore, *, case: Case,
                 document_id: str, deadline_at: datetime, representatives: list[RepresentativeSpec],
                 actor: User) -> SigningRequest:
    """Open a request on a finalised document: the parties, then the mediator, then the center's seal."""
    if not may_open_request(actor.role, is_case_mediator=case.mediator_user_id == actor.id):
        raise Forbidden("only a case officer or the case's mediator may open a signing request")
    document = _signable_document(session, settings, case=case, document_id=document_id)
    if deadline_at.tzinfo is None or deadline_at <= utcnow() + timedelta(minutes=10):
        raise InvalidInput("the deadline must be a time (with its UTC offset) in the future",
                           errors=[{"loc": ["deadline_at"], "msg": "in the past or without offset"}])
    mediator = session.get(User, case.mediator_user_id) if case.mediator_user_id else None
    if mediator is None or not mediator.phone:
        raise InvalidInput("the case needs a mediator with a phone number on record before signing")
    mediator_phone = _mobile(mediator.phone, loc=["mediator", "phone"], who=f"the mediator {mediator.display_name}")
    secret = identity.secret_from_keystore(keystore)
    for given in representatives:
        if given.mode == SigningMode.EXTERNAL and given.certificate_der:
            credentials.check_institution_certificate(settings, keystore, given.certificate_der)
    by_party = {r.party_id: r for r in representatives}
    case_id = id_of(case)
    request = SigningRequest(case_id=case_id, document_id=document.id, deadline_at=deadline_at,
                             current_sha256=document.sha256, created_by_user_id=actor.id)
    session.add(request)
    session.flush()
    signers: list[SigningParticipant] = []
    for party in parties_of(session, case_id):
        rep = by_party.pop(id_of(party), None)
        if rep is not None and party.kind == "institution":
            rep = _institution_representative(session, case, party, rep)
        signers.append(_party_signer(request, party, rep, secret))
    if by_party:
        raise InvalidInput(f"representatives given for parties not on this case: {sorted(by_party)}")
    signers.append(SigningParticipant(request_id=id_of(request), stage=STAGE_MEDIATOR, kind=SignerKind.MEDIATOR.value,
                                      role_label="调解员", name=mediator.display_name, user_id=mediator.id,
                                      phone=mediator_phone, field_name="mediator"))
    signers.append(SigningParticipant(request_id=id_of(request), stage=STAGE_SEAL, kind=SignerKind.SEAL.value,
                                      role_label="调解组织", name=settings.center_name, field_name="seal"))
    _place_in_fields(session, document, signers)
    needs_letter = any(s.kind == SignerKind.REPRESENTATIVE.value for s in signers)
    request.status = (RequestStatus.AWAITING_AUTHORISATION if needs_letter else RequestStatus.OPEN).value
    session.add(request)
    session.flush()
    if document.status == DocumentStatus.FINAL:
        mark_status(session, document=document, status=DocumentStatus.SIGNING, actor=user_actor(actor),
                    payload={"signing_request_id": request.id})
    audit_request(session, request, actor=user_actor(actor), action="signing.request_opened",
                  payload={"status": request.status, "deadline_at": deadline_at, "sha256": document.sha256,
                           "signers": [{"id": s.id, "stage": s.stage, "kind": s.kind, "role": s.role_label,
                                        "name": s.name, "mode": s.mode} for s in signers]})
    if request.status == RequestStatus.OPEN:
        activate_next_stage(session, settings, tokens, request, actor=user_actor(actor))
    return request


def _signable_document(session: Session, settings: Settings, *, case: Case, document_id: str) -> Document:
    """The case's finalised document of a signed kind, with no other request open on it."""
    document = session.get(Document, document_id)
    if document is None or document.case_id != case.id:
        raise NotFound(f"document {document_id} not found on this case")
    if document.kind not in SIGNABLE_KINDS:
        raise InvalidInput(f"documents of kind '{document.kind}' are not signed")
    if document.status not in (DocumentStatus.FINAL, DocumentStatus.SIGNING):
        raise Conflict(f"document {document.id} is '{document.status}'; only a finalised document is signed",
                       document_status=str(document.status))
    expire_due(session, settings, document_id=document.id)  # a request past its deadline no longer blocks
    active = session.exec(select(SigningRequest).where(SigningRequest.document_id == document.id,
                                                       col(SigningRequest.status).in_(ACTIVE))).first()
    if active is not None:
        raise Conflict(f"signing request {active.id} is already open on this document", request_id=active.id)
    return document


def _place_in_fields(session: Session, document: Document, signers: list[SigningParticipant]) -> None:
    """Each party's signer gets the field of its block in the document (party-1, party-2 ...); add them all."""
    listed = json.loads(document.inputs_json or "{}")
    for index, signer in enumerate(signers):
        if signer.kind not in (SignerKind.MEDIATOR.value, SignerKind.SEAL.value):
            party = session.get(CaseParty, signer.party_id)
            if party is None:
                raise RuntimeError(f"party {signer.party_id} of signer {signer.name} is not on file")
            signer.field_name = appearance.party_field_name(listed, role=party.role, name=party.name,
                                                            position=index + 1)
        session.add(signer)


def _institution_representative(session: Session, case: Case, party: CaseParty,
                                rep: RepresentativeSpec) -> RepresentativeSpec:
    """The representative as the institution chose them: its account, or the person an account named."""
    from ..complaints.institutions import institution_signer  # noqa: PLC0415 (complaints imports signing's callers)

    chosen = institution_signer(session, case=case, institution_id=party.institution_id,
                                account_user_id=rep.account_user_id, nomination_id=rep.nomination_id)
    if chosen is None:
        if not rep.name or not rep.phone:
            raise InvalidInput(f"name the representative who signs for {party.name}, with a phone number",
                               errors=[{"loc": ["representatives", party.id], "msg": "name and phone required"}])
        return rep
    name, phone, id_number, user_id = chosen
    return replace(rep, name=name, phone=phone, id_number=id_number or rep.id_number, user_id=user_id)


def _party_signer(request: SigningRequest, party: CaseParty, rep: RepresentativeSpec | None,
                  secret: bytes) -> SigningParticipant:
    role = ROLE_LABELS.get(party.role, party.role)
    if party.kind == "person":
        if rep is not None:
            raise InvalidInput(f"party {party.id} is a person and signs in person; no representative is taken")
        if not party.phone:
            raise InvalidInput(f"party {party.name} has no phone on record to receive the signing code")
        last4 = _id_on_file(party.id_number, loc=["parties", party.id, "id_number"], who=party.name)
        return SigningParticipant(request_id=id_of(request), stage=STAGE_PARTIES, kind=SignerKind.PERSON.value,
                                  role_label=role, name=party.name, party_id=party.id, user_id=party.user_id,
                                  phone=_mobile(party.phone, loc=["parties", party.id, "phone"], who=party.name),
                                  id_masked=mask_id_number(party.id_number),
                                  id_last4_hash=identity.hash_id_last4(secret, last4), field_name="party")
    if rep is None:
        raise InvalidInput(f"name the representative who signs for {party.name}",
                           errors=[{"loc": ["representatives"], "msg": f"missing for party {party.id}"}])
    if rep.mode == SigningMode.EXTERNAL and not rep.certificate_der:
        raise InvalidInput("an institution signing with its own certificate must give that certificate")
    if rep.mode == SigningMode.ONSITE:
        raise InvalidInput("on-site signing is chosen at the center (start_onsite), not when opening")
    if not rep.name:
        raise InvalidInput(f"name the representative who signs for {party.name}",
                           errors=[{"loc": ["representatives", party.id], "msg": "name required"}])
    last4 = _id_on_file(rep.id_number, loc=["representatives", party.id, "id_number"], who=rep.name)
    return SigningParticipant(request_id=id_of(request), stage=STAGE_PARTIES, kind=SignerKind.REPRESENTATIVE.value,
                              role_label=f"{role}代理人", name=rep.name, on_behalf_of=party.name,
                              party_id=party.id, user_id=rep.user_id,
                              phone=_mobile(rep.phone, loc=["representatives", party.id, "phone"], who=rep.name),
                              id_masked=mask_id_number(rep.id_number),
                              id_last4_hash=identity.hash_id_last4(secret, last4),
                              mode=rep.mode.value, external_cert_der=rep.certificate_der, field_name="party")


def _mobile(phone: str | None, *, loc: list, who: str) -> str:
    try:
        return normalise_mobile(phone)
    except ValueError as exc:
        raise InvalidInput(f"the phone number of {who} ({phone or 'none'}) cannot receive the signing code: {exc}",
                           errors=[{"loc": loc, "msg": str(exc)}]) from None


def _id_on_file(id_number: str | None, *, loc: list, who: str) -> str:
    """The last four characters a signer proves, which must exist before the request opens."""
    value = (id_number or "").strip().upper()
    if len(value) < 8:
        raise InvalidInput(f"{who} has no ID number on file; the signer proves who they are with its last four "
                           "characters, so record it before opening the request",
                           errors=[{"loc": loc, "msg": "an ID number of at least 8 characters is required"}])
    if len(value) == 18 and value[:17].isdigit():
        from ..cases.identity import normalise_resident_id

        try:
            normalise_resident_id(value)
        except ValueError as exc:
            raise InvalidInput(f"the ID number of {who} is not valid: {exc}",
                               errors=[{"loc": loc, "msg": str(exc)}]) from None
    last4 = identity.id_last4(value)
    if last4 is None:  # not reached: the value has at least 8 characters
        raise InvalidInput(f"{who} has no ID number on file", errors=[{"loc": loc, "msg": "required"}])
    return last4


def upload_authorisation(session: Session, *, request: SigningRequest, participant: SigningParticipant,
                         pdf: bytes, actor: User) -> SigningParticipant:
    seal_images.check_may_file(request=request, participant=participant, actor=actor, what="an authorisation letter")
    uploads.check_letter(pdf)
    participant.authorisation_doc = pdf
    participant.authorisation_content_type = "application/pdf"
    participant.authorisation_sha256 = hashlib.sha256(pdf).hexdigest()
    participant.authorisation_checked_by, participant.authorisation_checked_at = None, None
    session.add(participant)
    session.flush()
    audit_request(session, request, actor=user_actor(actor), action="signing.authorisation_uploaded",
                  payload={"participant_id": participant.id, "sha256": participant.authorisation_sha256, "size": len(pdf)})
    return participant


def approve_authorisation(session: Session, settings: Settings, tokens: TokenService, *, request: SigningRequest,
                          participant: SigningParticipant, actor: User) -> SigningRequest:
    """An officer has read the letter and accepts it; once every letter is accepted the request opens."""
    if not may_manage_request(actor.role):
        raise Forbidden("an authorisation letter is checked by a case officer")
    if request.status != RequestStatus.AWAITING_AUTHORISATION.value:
        raise Conflict(f"the request is '{request.status}'")
    if participant.authorisation_doc is None:
        raise Conflict("no authorisation letter has been uploaded for this representative")
    participant.authorisation_checked_by = actor.id
    participant.authorisation_checked_at = utcnow()
    session.add(participant)
    session.flush()
    audit_request(session, request, actor=user_actor(actor), action="signing.authorisation_approved",
                  payload={"participant_id": participant.id, "sha256": participant.authorisation_sha256})
    pending = [p for p in participants_of(session, id_of(request))
               if p.kind == SignerKind.REPRESENTATIVE.value and p.authorisation_checked_at is None]
    if not pending:
        request.status = RequestStatus.OPEN.value
        request.updated_at = utcnow()
        session.add(request)
        session.flush()
        audit_request(session, request, actor=user_actor(actor), action="signing.request_opened_for_signing")
        activate_next_stage(session, settings, tokens, request, actor=user_actor(actor))
    return request


def close_request(session: Session, settings: Settings, request: SigningRequest, *, status: RequestStatus,
                  reason: str, who: str = "", skip: int | None = None) -> list[int]:
    """Close the request: codes and sessions stop, unsent texts are withdrawn, and every signer who was sent
    a link (or has signed) is told by SMS, except ``skip`` (the signer who declined)."""
    request.status = status.value
    request.closed_reason = reason
    request.updated_at = utcnow()
    session.add(request)
    cancel_pending(session, ref=f"signing_request:{request.id}")
    document = document_of(session, request)
    told: list[int] = []
    for p in participants_of(session, id_of(request)):
        p.link_jti, p.otp_hash = None, None
        if p.id != skip:  # the decliner's page keeps saying what they did on a refresh
            p.session_jti = None
        p.prepared_pdf = p.prepared_attrs = p.prepared_evidence = None
        session.add(p)
        reached = p.status in (SignerStatus.PENDING.value, SignerStatus.SIGNED.value)
        if reached and p.kind != SignerKind.SEAL.value and p.phone and p.id != skip:
            text = CLOSED_SMS[status].format(who=who, title=document.title, reason=reason[:30])
            enqueue(session, kind="signing.closed", channel=Channel.SMS, recipient=p.phone, recipient_name=p.name,
                    recipient_user_id=p.user_id, body=fit_sms(settings, text), case_id=request.case_id,
                    ref=f"signing_closed:{request.id}")
            told.append(id_of(p))
    session.flush()
    return told


def void(session: Session, settings: Settings, *, request: SigningRequest, reason: str,
         actor: User) -> SigningRequest:
    if not may_manage_request(actor.role):
        raise Forbidden("a signing request is voided by a case officer")
    if not reason or not reason.strip():
        raise InvalidInput("give a reason for voiding", errors=[{"loc": ["reason"], "msg": "required"}])
    request = lock_request(session, id_of(request))
    if request.status not in ACTIVE:
        raise Conflict(f"the request is '{request.status}' and cannot be voided")
    told = close_request(session, settings, request, status=RequestStatus.VOIDED, reason=reason.strip())
    audit_request(session, request, actor=user_actor(actor), action="signing.voided",
                  payload={"reason": reason.strip(), "told": told})
    return request


def close_for_document(session: Session, settings: Settings, *, document_id: str, reason: str, actor: str) -> list[int]:
    """The document was superseded or voided: its active request closes (voided) and its signers are told."""
    closed: list[int] = []
    for request_id in selected_ids(session.exec(select(col(SigningRequest.id)).where(
            SigningRequest.document_id == document_id, col(SigningRequest.status).in_(ACTIVE))).all()):
        request = lock_request(session, request_id)
        if request.status not in ACTIVE:
            continue
        told = close_request(session, settings, request, status=RequestStatus.VOIDED,
                             reason=f"document superseded: {reason}"[:1000])
        audit_request(session, request, actor=actor, action="signing.voided",
                      payload={"reason": reason, "document_superseded": True, "told": told})
        closed.append(request_id)
    return closed


def supersede_document(session: Session, settings: Settings, *, case: Case, document: Document, reason: str,
                       inputs: dict | None, note: str | None, actor: User) -> tuple[Draft, DraftVersion]:
    """Void a finalised document and open its next draft version (``documents.service.supersede``), its active
    signing request voided first and its signers told: the one step for the API and the pages. Locks in the
    documented order: the case (the caller's), the request, then the document and its draft."""
    close_for_document(session, settings, document_id=document.id, reason=reason, actor=user_actor(actor))
    session.refresh(document, with_for_update=is_postgresql(session))  # its status may have moved meanwhile
    return supersede(session, settings, case=case, document=document, reason=reason, inputs=inputs, note=note,
                     actor=actor)


def expire_due(session: Session, settings: Settings, *, now: datetime | None = None,
               document_id: str | None = None) -> list[int]:
    """Requests past their deadline expire (the job; also on the spot before a new request is opened)."""
    now = now or utcnow()
    query = select(col(SigningRequest.id)).where(col(SigningRequest.status).in_(ACTIVE),
                                                 col(SigningRequest.deadline_at) <= now)
    if document_id is not None:
        query = query.where(SigningRequest.document_id == document_id)
    expired: list[int] = []
    for request_id in selected_ids(session.exec(query).all()):
        request = lock_request(session, request_id)
        if request.status not in ACTIVE:
            continue
        told = close_request(session, settings, request, status=RequestStatus.EXPIRED, reason="deadline passed")
        audit_request(session, request, actor="system:signing", action="signing.expired",
                      payload={"deadline_at": request.deadline_at, "told": told})
        expired.append(request_id)
    return expired
