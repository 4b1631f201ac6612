"""The signatures themselves: a signer's PAdES signature (with a one-time key made by the center on site, a key
made in the signer's browser, or an institution's own certificate), the evidence record of each, the center's
seal, and the B-LTA close. The close's consequences are explicit: the document is signed and, for an agreement,
the case moves to signed with the agreed amount as its settled amount (``document_signed``), and a case so
ended cancels its sessions still to come (``cases.moves.after_move``)."""

from __future__ import annotations

import base64
import hashlib
import io
from typing import Any

from sqlmodel import Session

from ..accounts.models import User
from ..audit.chain import canonical_json
from ..cases.moves import SIGNED, after_move
from ..cases.service import transition
from ..cases.states import CaseStatus
from ..config import Settings
from ..coroutines import run_sync
from ..db import id_of, utcnow
from ..documents.models import DocumentStatus
from ..documents.service import mark_status
from ..errors import Conflict, Forbidden, InvalidInput
from ..pki.keystore import KeyStore
from ..security.pipl import mask_phone
from ..security.tokens import TokenService
from . import appearance, credentials, pades, seal_images
from .messages import activate_next_stage, announce_effect, link_secret
from .models import (RequestStatus, SignedRevision, SignerKind, SignerStatus, SigningMode, SigningParticipant,
                     SigningRequest)
from .policy import (KEY_CENTER_SERVER, KEY_SIGNER_DEVICE, DocumentChanged, NotYourTurn, agreed_amount,
                     check_open, may_manage_request, stage_done)
from .signers import signer_session
from .store import (Client, audit_request, case_of, current_pdf, document_of, lock_case, lock_request, participants_of,
                    signer_actor, store_revision, user_actor)


def _check_ready(session: Session, request: SigningRequest, participant: SigningParticipant) -> None:
    if participant.kind == SignerKind.SEAL.value:
        raise Conflict("the center's seal is applied by an officer")
    earlier = [p for p in participants_of(session, id_of(request))
               if p.stage < participant.stage and p.status != SignerStatus.SIGNED.value]
    if earlier:
        raise NotYourTurn("signers of an earlier stage have not signed yet", waiting_for=[p.id for p in earlier])
    missing = [name for name, value in (("identity", participant.otp_verified_at),
                                        ("document_viewed", participant.document_viewed_at),
                                        ("consent", participant.consent_at)) if value is None]
    if participant.mode != SigningMode.EXTERNAL.value and participant.drawing_png is None:
        missing.append("drawing")
    if missing:
        raise Conflict(f"not ready to sign: {', '.join(missing)} missing", missing=missing)


def _evidence(session: Session, request: SigningRequest, participant: SigningParticipant, *, sha_before: str,
              client: Client) -> dict[str, Any]:
    case = case_of(session, request)
    document = document_of(session, request)
    host = session.get(User, participant.onsite_host_user_id) if participant.onsite_host_user_id else None
    checked_by = session.get(User, participant.authorisation_checked_by) if participant.authorisation_checked_by else None
    return {
        "version": 1,
        "case_number": case.number, "request_id": request.id, "participant_id": participant.id,
        "document": {"id": document.id, "title": document.title, "finalised_sha256": document.sha256,
                     "sha256_before": sha_before},
        "signer": {"name": participant.name, "role": participant.role_label, "kind": participant.kind,
                   "id_masked": participant.id_masked, "on_behalf_of": participant.on_behalf_of},
        "mode": participant.mode,
        "identity": {"sms_code_verified_at": participant.otp_verified_at,
                     "phone": mask_phone(participant.phone),
                     "id_last4_verified_at": participant.id_verified_at},
        "onsite_host": {"user_id": host.id, "name": host.display_name} if host else None,
        "document_viewed_at": participant.document_viewed_at,
        "consent": {"sha256": participant.consent_sha256, "at": participant.consent_at},
        "drawing_sha256": hashlib.sha256(participant.drawing_png).hexdigest() if participant.drawing_png else None,
        "authorisation_letter": {"sha256": participant.authorisation_sha256,
                                 "institution_seal_sha256": participant.institution_seal_sha256,
                                 "checked_by": checked_by.display_name if checked_by else None,
                                 "checked_at": participant.authorisation_checked_at}
        if participant.kind == SignerKind.REPRESENTATIVE.value else None,
        "client": {"address": client.address, "user_agent": client.user_agent[:300]},
        "confirmed_at": utcnow(),
        "key": None,  # where the signing key was made (set by each signing path)
    }


def confirm(session: Session, settings: Settings, tokens: TokenService, keystore: KeyStore, timestamper, *,
            session_token: str, client: Client) -> SignedRevision:
    """Sign: issue a one-time certificate carrying the evidence hash, sign PAdES B-T, destroy the key."""
    request, participant = signer_session(session, tokens, session_token=session_token, lock=True)
    if participant.mode == SigningMode.EXTERNAL.value:
        raise Conflict("this signer signs with their own certificate (prepare_external / finish_external)")
    if participant.key_origin != KEY_CENTER_SERVER:
        raise Conflict("this signer signs with a key made in their own browser (session/key/prepare, then "
                       "session/key/finish); the center's key is only the on-site fallback", key_origin="signer_device")
    _check_ready(session, request, participant)
    case = case_of(session, request)
    pdf = current_pdf(session, request)
    sha_before = hashlib.sha256(pdf).hexdigest()
    record_ = _evidence(session, request, participant, sha_before=sha_before, client=client)
    record_["key"] = {"origin": KEY_CENTER_SERVER,
                      "generated": "by the center's system for this one signature, on site, destroyed after use"}
    evidence = canonical_json(record_)
    credential = credentials.issue_for(
        session, settings, keystore, case_id=id_of(case),
        identity=pades.SignerIdentity(participant.name, participant.id_masked, case.number, participant.role_label),
        evidence_sha256=hashlib.sha256(evidence.encode()).digest())
    mark = _signer_mark(session, request, participant)
    try:
        signed = credentials.timestamped(lambda: pades.sign(
            pdf, signer=credential.pyhanko_signer(), timestamper=timestamper,
            field=_field_of(participant),
            appearance_png=participant.drawing_png, reason=f"{participant.role_label}签署",
            location=settings.center_name if participant.mode == SigningMode.ONSITE.value else None,
            validation_context=lambda: credentials.lta_context(session, keystore), stamp_style=mark))
    finally:
        credential.destroy()
    serial = f"{credential.cert.serial_number:x}"
    revision = store_revision(session, request=request, kind="signature", pdf=signed, sha_before=sha_before,
                              participant=participant, cert_serial=serial, evidence=evidence)
    return _signed(session, settings, tokens, request, participant, revision)


def _prepared_external(participant: SigningParticipant, *, missing: str) -> pades.PreparedExternal:
    """The document as prepared for this signer's signature (placeholder, digest, reserved region), or
    Conflict(``missing``) when it was not prepared (or was discarded since)."""
    pdf, digest, region = participant.prepared_pdf, participant.prepared_digest, participant.prepared_region
    if pdf is None or digest is None or region is None:
        raise Conflict(missing)
    start, end = (int(x) for x in region.split("-"))
    return pades.PreparedExternal(pdf, bytes.fromhex(digest), start, end)


def _signer_mark(session: Session, request: SigningRequest, participant: SigningParticipant):
    """The visible mark in the signer's block: drawn signature, name (授权代表 for a representative), time."""
    document = document_of(session, request)
    representative = participant.kind == SignerKind.REPRESENTATIVE.value
    return appearance.signer_mark(
        drawing_png=participant.drawing_png, name=participant.name, signed_at=utcnow(),
        institution_seal_png=seal_images.checked_seal_image(participant),
        capacity=("授权代表" if document.language == "zh-CN" else "authorised representative") if representative else None,
        language=document.language)


def _field_of(participant: SigningParticipant) -> pades.FieldPlacement:
    """The signer's field, with no box of our own: a document rendered from a template has an empty field in
    each signer's block (from its layout) and the signature fills it; a PDF without one (made elsewhere) gets an
    invisible signature, never a mark over its text or page footer."""
    return pades.FieldPlacement(participant.field_name, -1, None)


def _signed(session: Session, settings: Settings, tokens: TokenService, request: SigningRequest,
            participant: SigningParticipant, revision: SignedRevision) -> SignedRevision:
    participant.status = SignerStatus.SIGNED.value
    participant.signed_at = utcnow()
    # the session stays: a refresh or the back button shows "signed", not an invalid link
    participant.prepared_pdf = participant.prepared_attrs = participant.prepared_evidence = None
    session.add(participant)
    session.flush()
    audit_request(session, request, actor=signer_actor(participant), action="signing.signed",
                  payload={"participant_id": participant.id, "sequence": revision.sequence, "kind": revision.kind,
                           "sha256_before": revision.sha256_before, "sha256_after": revision.sha256_after,
                           "cert_serial": revision.cert_serial, "evidence_sha256": revision.evidence_sha256})
    if stage_done(((p.stage, p.status) for p in participants_of(session, id_of(request))), participant.stage):
        activate_next_stage(session, settings, tokens, request, actor="system:signing")
    return revision


def possession_challenge(tokens: TokenService, participant: SigningParticipant) -> str:
    """What the browser signs to show it holds the key: bound to this signer's current session."""
    import hmac

    mac = hmac.new(link_secret(tokens), f"possession\x1f{participant.id}\x1f{participant.session_jti}".encode(),
                   hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def signer_challenge(session: Session, tokens: TokenService, *, session_token: str) -> str:
    _request, participant = signer_session(session, tokens, session_token=session_token)
    return possession_challenge(tokens, participant)


def prepare_browser_key(session: Session, settings: Settings, tokens: TokenService, keystore: KeyStore, *,
                        session_token: str, public_key_der: bytes, possession_signature: bytes,
                        client: Client) -> dict[str, Any]:
    """The browser's public key (with its proof of possession) -> the one-time certificate for it and the CMS
    signed attributes for the browser to sign. Nothing of the private key ever reaches the service."""
    from . import remote_key

    request, participant = signer_session(session, tokens, session_token=session_token, lock=True)
    _check_ready(session, request, participant)
    if participant.key_origin != KEY_SIGNER_DEVICE:
        raise Conflict("the consent given is for another kind of key; give it again for a key made on this device",
                       missing=["consent"])
    try:
        public_key = remote_key.verify_possession(public_key_der, challenge=possession_challenge(tokens, participant),
                                                  raw_signature=possession_signature)
    except remote_key.KeyRefused as exc:
        raise InvalidInput(f"the browser's key was refused: {exc}") from None
    case = case_of(session, request)
    pdf = current_pdf(session, request)
    sha_before = hashlib.sha256(pdf).hexdigest()
    record_ = _evidence(session, request, participant, sha_before=sha_before, client=client)
    record_["key"] = {"origin": KEY_SIGNER_DEVICE,
                      "generated": "in the signer's browser (WebCrypto, ECDSA P-256, not extractable)",
                      "public_key_sha256": hashlib.sha256(public_key_der).hexdigest(),
                      "possession_verified_at": utcnow()}
    evidence = canonical_json(record_)
    cert, chain = credentials.issue_for_public_key(
        session, settings, keystore, case_id=id_of(case), public_key=public_key,
        identity=pades.SignerIdentity(participant.name, participant.id_masked, case.number, participant.role_label),
        evidence_sha256=hashlib.sha256(evidence.encode()).digest())
    prepared = remote_key.prepare(pdf, cert=cert, chain=chain,
                                  field=_field_of(participant),
                                  appearance_png=participant.drawing_png, reason=f"{participant.role_label}签署",
                                  stamp_style=_signer_mark(session, request, participant))
    from cryptography.hazmat.primitives.serialization import Encoding

    participant.public_key_der = public_key_der
    participant.prepared_pdf = prepared.prepared.pdf_with_placeholder
    participant.prepared_digest = prepared.prepared.document_digest.hex()
    participant.prepared_region = f"{prepared.prepared.reserved_region_start}-{prepared.prepared.reserved_region_end}"
    participant.prepared_base_sha256 = sha_before
    participant.prepared_attrs = prepared.signed_attrs_der
    participant.prepared_cert_der = cert.public_bytes(Encoding.DER)
    participant.prepared_evidence = evidence
    session.add(participant)
    session.flush()
    serial = f"{cert.serial_number:x}"
    audit_request(session, request, actor=signer_actor(participant), action="signing.key_certified",
                  payload={"participant_id": participant.id, "cert_serial": serial, "key_origin": KEY_SIGNER_DEVICE,
                           "public_key_sha256": record_["key"]["public_key_sha256"], "sha256_before": sha_before})
    return {"signed_attributes_b64": base64.b64encode(prepared.signed_attrs_der).decode(),
            "certificate_serial": serial, "sha256_before": sha_before}


def finish_browser_key(session: Session, settings: Settings, tokens: TokenService, timestamper, *,
                       session_token: str, signature: bytes) -> SignedRevision:
    """The browser's ECDSA signature over the signed attributes: checked, timestamped, embedded (PAdES B-T)."""
    from cryptography import x509

    from . import remote_key

    request, participant = signer_session(session, tokens, session_token=session_token, lock=True)
    if participant.prepared_attrs is None or participant.prepared_cert_der is None:
        raise Conflict("prepare the signature with the browser's key first")
    pdf = current_pdf(session, request)
    sha_before = hashlib.sha256(pdf).hexdigest()
    if sha_before != participant.prepared_base_sha256:
        raise DocumentChanged("another signature was added since this was prepared; prepare again")
    cert = x509.load_der_x509_certificate(participant.prepared_cert_der)
    prepared = remote_key.PreparedForBrowser(
        _prepared_external(participant, missing="prepare the signature with the browser's key first"),
        participant.prepared_attrs)
    try:
        signed = credentials.timestamped(lambda: remote_key.finish(
            prepared, cert=cert, chain=credentials.signer_chain(tokens.keystore),
            raw_signature=signature, timestamper=timestamper,
            validation_context=lambda: credentials.lta_context(session, tokens.keystore)))
    except remote_key.KeyRefused as exc:
        raise InvalidInput(f"the browser's signature was refused: {exc}") from None
    revision = store_revision(session, request=request, kind="signature", pdf=signed, sha_before=sha_before,
                              participant=participant, cert_serial=f"{cert.serial_number:x}",
                              evidence=participant.prepared_evidence)
    return _signed(session, settings, tokens, request, participant, revision)


def apply_seal(session: Session, settings: Settings, keystore: KeyStore, timestamper, *, request: SigningRequest,
               actor: User) -> SignedRevision:
    """The center's seal (last signer), then DSS + document timestamp (B-LTA); completes the request. The close
    moves the document and the case, so the case is locked first (the lock order: case, request, document)."""
    if not may_manage_request(actor.role):
        raise Forbidden("the center's seal is applied by a case officer")
    case = lock_case(session, request.case_id)
    request = lock_request(session, id_of(request))
    check_open(request)
    seal = next(p for p in participants_of(session, id_of(request)) if p.kind == SignerKind.SEAL.value)
    if seal.status != SignerStatus.PENDING.value:
        raise NotYourTurn("the parties and the mediator sign before the seal is applied")
    pdf = current_pdf(session, request)
    sha_before = hashlib.sha256(pdf).hexdigest()
    signer = credentials.seal_signer(keystore, settings)
    sealed = credentials.validated(lambda: credentials.timestamped(lambda: pades.sign(
        pdf, signer=signer, timestamper=timestamper,
        field=_field_of(seal),
        appearance_png=None, reason="调解组织盖章", location=settings.center_name,
        validation_context=lambda: credentials.lta_context(session, keystore),
        stamp_style=appearance.seal_mark(center_name=settings.center_name, purpose=settings.seal_purpose,
                                         signed_at=utcnow(), language=document_of(session, request).language))))
    evidence = canonical_json({"version": 1, "kind": "seal", "request_id": request.id,
                               "sha256_before": sha_before, "applied_by": user_actor(actor), "at": utcnow()})
    seal_serial = f"{signer.signing_cert.serial_number:x}"
    seal_revision = store_revision(session, request=request, kind="seal", pdf=sealed, sha_before=sha_before,
                                   participant=seal, cert_serial=seal_serial, evidence=evidence)
    seal.status, seal.signed_at = SignerStatus.SIGNED.value, utcnow()
    session.add(seal)
    audit_request(session, request, actor=user_actor(actor), action="signing.sealed",
                  payload={"sequence": seal_revision.sequence, "sha256_after": seal_revision.sha256_after,
                           "cert_serial": seal_serial})
    revision = close_to_lta(session, keystore, timestamper, request=request, actor=user_actor(actor), settings=settings)
    document_signed(session, request=request, revision=revision, actor=user_actor(actor))
    after_move(session, settings, case=case, actor=actor, reason=SIGNED)
    announce_effect(session, settings, keystore, request)
    return revision


def close_to_lta(session: Session, keystore: KeyStore, timestamper, *, request: SigningRequest,
                 actor: str, settings: Settings | None = None) -> SignedRevision:
    """The B-LTA close of a fully signed request: validation data (DSS) and a document timestamp; the request is
    completed. What that means for the document and the case is ``document_signed``'s."""
    pdf = current_pdf(session, request)
    sha_before = hashlib.sha256(pdf).hexdigest()
    context = credentials.lta_context(session, keystore, settings)
    closed = credentials.validated(lambda: credentials.timestamped(
        lambda: pades.close_lta(pdf, timestamper=timestamper, context=context)))
    revision = store_revision(session, request=request, kind="lta", pdf=closed, sha_before=sha_before)
    request.status = RequestStatus.COMPLETED.value
    request.completed_at = utcnow()
    session.add(request)
    session.flush()
    audit_request(session, request, actor=actor, action="signing.completed",
                  payload={"sequence": revision.sequence, "sha256": revision.sha256_after,
                           "timestamp_expires_at": revision.timestamp_expires_at})
    return revision


def document_signed(session: Session, *, request: SigningRequest, revision: SignedRevision, actor: str) -> None:
    """The consequences of a completed request: its document is signed; an agreement also moves its case to
    signed, with what the parties agreed to pay as the case's settled amount (the statistics report it)."""
    document = document_of(session, request)
    if document.status == DocumentStatus.SIGNING:
        mark_status(session, document=document, status=DocumentStatus.SIGNED, actor=actor,
                    payload={"signing_request_id": request.id, "signed_sha256": revision.sha256_after})
    if document.kind != "agreement":
        return
    case = case_of(session, request)
    if CaseStatus(case.status) == CaseStatus.SIGNING:
        case.settled_amount = agreed_amount(document)
        transition(session, case=case, target=CaseStatus.SIGNED, actor=actor,
                   payload={"document_id": document.id, "signing_request_id": request.id,
                            "settled_amount": None if case.settled_amount is None else str(case.settled_amount)})


def prepare_external(session: Session, tokens: TokenService, *, session_token: str) -> dict[str, Any]:
    request, participant = signer_session(session, tokens, session_token=session_token, lock=True)
    if participant.mode != SigningMode.EXTERNAL.value or participant.external_cert_der is None:
        raise Conflict("this signer does not sign with their own certificate")
    _check_ready(session, request, participant)
    from cryptography import x509

    cert = x509.load_der_x509_certificate(participant.external_cert_der)
    pdf = current_pdf(session, request)
    prepared = pades.prepare_external(pdf, signer_cert=cert, chain=(),
                                      field=_field_of(participant),
                                      appearance_png=participant.drawing_png,
                                      reason=f"{participant.role_label}签署",
                                      stamp_style=_signer_mark(session, request, participant))
    participant.prepared_pdf = prepared.pdf_with_placeholder
    participant.prepared_digest = prepared.document_digest.hex()
    participant.prepared_region = f"{prepared.reserved_region_start}-{prepared.reserved_region_end}"
    participant.prepared_base_sha256 = hashlib.sha256(pdf).hexdigest()
    session.add(participant)
    session.flush()
    audit_request(session, request, actor=signer_actor(participant), action="signing.external_prepared",
                  payload={"participant_id": participant.id, "digest": participant.prepared_digest,
                           "sha256_before": participant.prepared_base_sha256})
    return {"digest_algorithm": "sha256", "document_digest_hex": participant.prepared_digest,
            "document_digest_b64": base64.b64encode(prepared.document_digest).decode(),
            "certificate_serial": f"{cert.serial_number:x}"}


def finish_external(session: Session, settings: Settings, tokens: TokenService, timestamper, *,
                    session_token: str, cms_der: bytes, client: Client) -> SignedRevision:
    """Embed the institution's CMS if it is by the certificate on record and verifies over the prepared bytes."""
    from asn1crypto import cms
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature

    request, participant = signer_session(session, tokens, session_token=session_token, lock=True)
    if participant.prepared_pdf is None or participant.mode != SigningMode.EXTERNAL.value:
        raise Conflict("prepare the document first")
    pdf = current_pdf(session, request)
    sha_before = hashlib.sha256(pdf).hexdigest()
    if sha_before != participant.prepared_base_sha256:
        raise DocumentChanged("another signature was added since this was prepared; prepare again")
    try:
        content = cms.ContentInfo.load(cms_der)
        signed_data = content["content"]
        sid = signed_data["signer_infos"][0]["sid"].chosen
        certs = [c.chosen for c in signed_data["certificates"] or []]
        signer_cert = next(c for c in certs if c.issuer == sid["issuer"]
                           and c.serial_number == sid["serial_number"].native)
    except (ValueError, TypeError, KeyError, StopIteration, AttributeError):
        raise InvalidInput("the signature is not a CMS SignedData carrying its signer's certificate") from None
    if signer_cert.dump() != participant.external_cert_der:
        raise InvalidInput("the CMS is signed with a certificate other than the one on record for this signer")
    prepared = _prepared_external(participant, missing="prepare the document first")
    try:
        signed = credentials.timestamped(lambda: pades.finish_external(
            prepared, cms_der=cms_der, timestamper=timestamper,
            validation_context=lambda: credentials.lta_context(session, tokens.keystore, settings)))
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidInput(f"the signature could not be embedded: {exc}") from None
    embedded = PdfFileReader(io.BytesIO(signed), strict=False).embedded_regular_signatures[-1]
    status = run_sync(async_validate_pdf_signature(embedded))
    if not (status.intact and status.valid):
        raise InvalidInput("the signature does not verify over the prepared document")
    evidence = _evidence(session, request, participant, sha_before=sha_before, client=client)
    evidence["external_certificate"] = {"serial": f"{signer_cert.serial_number:x}",
                                        "issuer": signer_cert.issuer.human_friendly,
                                        "subject": signer_cert.subject.human_friendly}
    evidence_json = canonical_json(evidence)
    participant.prepared_pdf = None
    revision = store_revision(session, request=request, kind="signature", pdf=signed, sha_before=sha_before,
                              participant=participant, cert_serial=f"{signer_cert.serial_number:x}",
                              evidence=evidence_json)
    return _signed(session, settings, tokens, request, participant, revision)
