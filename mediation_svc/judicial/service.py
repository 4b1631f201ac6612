"""Judicial confirmation (司法确认, People's Mediation Law art. 33) from a signed agreement:

    start_application   case 'signed': render the joint application (司法确认申请书) from its template, with
                        each applicant's 送达地址确认书 as an annex, finalise it, open a signing request
                        on it (the parties, then the mediator and the center's seal, as for the agreement)
    build_package       application signed: the evidence ZIP (signed agreement and application, evidence
                        report PDF, audit-chain extract, certificates and revocation data, verification
                        reports, a JWS-signed manifest); the case moves to 'confirmation_requested'
    share_with_court    a court account gets this one case, for a limited number of days
    package_for         the stored ZIP, for staff and for the court the case is shared with
    record_ruling       the court's decision: the case moves to 'confirmed' or 'not_confirmed', the
                        agreement's document status to 'confirmed'; audited

Services flush, never commit; every state change is audited in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import update
from sqlmodel import Session, col, select

from ..accounts.models import User
from ..audit.chain import actor_of, case_trail, record
from ..cases.models import Case, CaseParty
from ..cases.service import share_with_court as _share_case, transition
from ..cases.states import CaseStatus
from ..config import Settings
from ..db import id_of, one_or_404, utcnow
from ..documents.models import Document, DocumentStatus
from ..documents.numerals import rmb_capitals, rmb_figures
from ..documents.rendering import render_document
from ..documents.service import create_draft, finalise, mark_status
from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from ..pki import hierarchy
from ..pki.keystore import KeyStore
from ..security import access
from ..security.roles import Role
from ..signing import service as signing
from ..signing.models import RequestStatus, SigningRequest
from ..timeutil import SHANGHAI, today_in_shanghai
from ..verification import attestation
from ..verification.report import verify_pdf
from . import service_address
from .case_evidence import evidence_files as case_evidence_files
from .models import ApplicationStatus, EvidencePackage, JudicialApplication, Ruling
from .policy import check_in_time, confirmation_deadline, materials
from .package import AUDIT_CHAIN, AUDIT_PROOF, AUDIT_TIMESTAMP, AUDIT_TREE_HEAD, build_zip
from .evidence_index import package_extras

APPLICATION_TEMPLATE = "judicial_application"
EVIDENCE_TEMPLATE = "signing_evidence_report"


class NotReadyForConfirmation(Conflict):
    slug, title = "not-ready-for-confirmation", "The case is not ready for judicial confirmation"


def service_addresses(session: Session, *, case: Case, parties: list[dict[str, Any]],
                      given: dict[int, dict[str, Any]], signer_phones: dict[int, str] | None = None) -> list[dict[str, Any] | None]:
    """Each applicant's 送达地址确认书 details, in the applicants' order: what the officer recorded with the
    party (``given``, by case party id: address, phone, e-mail, consent to electronic service), else the
    address and phone on file (for an institution, its signing representative's phone first, from
    ``signer_phones`` by party id), without consent to electronic service (which only the party can give)."""
    from ..cases.service import parties_of  # noqa: PLC0415

    # looked up by the agreement's (role, name), either of which it may lack
    on_file: dict[tuple[str | None, str | None], CaseParty] = {(cp.role, cp.name): cp
                                                               for cp in parties_of(session, id_of(case))}
    unknown = set(given) - {cp.id for cp in on_file.values()}
    if unknown:
        raise InvalidInput(f"service addresses given for parties not on this case: {sorted(unknown)}",
                           errors=[{"loc": ["service_addresses"], "msg": "unknown party"}])
    out = []
    for p in parties:
        party = on_file.get((p.get("role"), p.get("name")))
        entry = given.get(id_of(party)) if party is not None else None
        if entry is None:
            agent = p.get("agent") or {}
            phones = [p.get("phone")] if p.get("kind") == "person" else \
                [(signer_phones or {}).get(id_of(party)) if party else None, agent.get("phone"), p.get("phone")]
            phone = next((x for x in [*phones, party.phone if party else None] if x), None)
            address = p.get("address") or (party.address if party else None)
            # without an address or a phone on file there is nothing to confirm: that party brings its own
            # 送达地址确认书 (the materials list says 待提交)
            entry = {"address": address, "phone": phone, "electronic_consent": False, "electronic_channels": []} \
                if address and phone else None
        out.append(entry)
    return out


def _letters(session: Session, agreement: Document) -> list:
    """The checked 授权委托书 of the agreement's completed signing request, one per representative."""
    from ..signing.models import SignerKind

    request = session.exec(select(SigningRequest).where(SigningRequest.document_id == agreement.id,
                                                        SigningRequest.status == RequestStatus.COMPLETED.value)).first()
    if request is None:
        return []
    return [p for p in signing.participants_of(session, id_of(request))
            if p.kind == SignerKind.REPRESENTATIVE.value and p.authorisation_doc is not None]


_actor = actor_of  # the audit log's name for a person (audit.chain.actor_of)


def _audit(session: Session, application: JudicialApplication, *, actor: str, action: str,
           payload: dict[str, Any]) -> None:
    record(session, actor=actor, action=action, subject=f"judicial_application:{application.id}",
           case_id=application.case_id, payload={"application_id": application.id, **payload})


def signed_agreement(session: Session, case: Case) -> Document:
    """The case's newest signed or confirmed agreement; NotReadyForConfirmation (409) when there is none."""
    document = session.exec(select(Document).where(Document.case_id == case.id, Document.kind == "agreement",
                                                   col(Document.status).in_([DocumentStatus.SIGNED.value,
                                                                             DocumentStatus.CONFIRMED.value]))
                            .order_by(col(Document.created_at).desc())).first()
    if document is None:
        raise NotReadyForConfirmation("the case has no signed agreement", case_status=str(case.status))
    return document


def _sentence(text: str) -> str:
    return text.strip().rstrip("。；;.")


def _summary(inputs: dict[str, Any]) -> str:
    """The agreed terms in one paragraph of proper Chinese (dates 2026年12月31日, amounts in capitals with the
    figure), for the application; the agreement itself is attached."""
    parts = []
    for p in inputs.get("payments", []):
        due = date.fromisoformat(str(p["due_date"]))
        method = f"以{p['method']}方式" if p.get("method") else ""
        amount = Decimal(str(p["amount"]))
        parts.append(f"{p['payer']}于{due.year}年{due.month}月{due.day}日前{method}向{p['payee']}支付"
                     f"{rmb_capitals(amount)}（{rmb_figures(amount)}）")
    parts += [_sentence(t) for t in [*inputs.get("obligations", []), *inputs.get("clauses", [])]]
    text = "；".join(p for p in parts if p)
    return (text[:3890] + "。") if text else "详见所附调解协议书。"


def effective_date(session: Session, agreement: Document) -> date:
    """When the agreement took effect: the day the center's seal, its last signature, was applied (art. 29)."""
    from ..signing.models import SignedRevision

    seal = session.exec(select(SignedRevision).where(SignedRevision.document_id == agreement.id,
                                                     SignedRevision.kind == "seal")
                        .order_by(col(SignedRevision.sequence).desc())).first()
    last = seal or signing.latest_revision(session, agreement.id)
    return (last.created_at if last else agreement.created_at).astimezone(SHANGHAI).date()


def application_inputs(session: Session, settings: Settings, *, case: Case, agreement: Document,
                       court_name: str, applied_on: date,
                       addresses: dict[int, dict[str, Any]] | None = None,
                       signer_phones: dict[int, str] | None = None) -> dict[str, Any]:
    """The joint application's inputs from the signed agreement: its parties as applicants, its
    effective date (the seal's day, Beijing time), its terms in one paragraph, the materials list and each
    applicant's service address (``service_addresses``)."""
    agreement_inputs = json.loads(agreement.inputs_json)
    addresses_ = service_addresses(session, case=case, parties=agreement_inputs["parties"], given=addresses or {},
                                   signer_phones=signer_phones)
    return {"court_name": court_name, "case_number": case.number, "center_name": settings.center_name,
            "applicants": agreement_inputs["parties"], "agreement_date": effective_date(session, agreement).isoformat(),
            "agreement_document_id": agreement.id, "agreement_summary": _summary(agreement_inputs),
            "materials": materials(parties=agreement_inputs["parties"],
                                   letters={p.on_behalf_of: p.name for p in _letters(session, agreement)},
                                   addresses=addresses_),
            "applied_on": applied_on.isoformat(),
            "mediators": agreement_inputs.get("mediators", []), "organisation_kind": settings.organisation_kind,
            "service_addresses": addresses_}


def start_application(session: Session, settings: Settings, tokens, keystore: KeyStore, *, case: Case,
                      court_name: str, deadline_at: datetime, representatives: list, actor: User,
                      acknowledge_late: bool = False,
                      service_addresses: dict[int, dict[str, Any]] | None = None) -> JudicialApplication:
    """``acknowledge_late``: the officer has read that the 30 days have passed and applies anyway (the court
    decides; the acknowledgement is audited). ``service_addresses``: case party id -> the 送达地址确认书
    details that party gave (``ServiceAddress``); the others get the address and phone on file, no consent to
    electronic service. Each is an annex of the application, signed with it."""
    if CaseStatus(case.status) != CaseStatus.SIGNED:
        raise NotReadyForConfirmation(f"a joint application is made once the agreement is signed (the case is "
                                      f"'{case.status}')", case_status=str(case.status))
    existing = session.exec(select(JudicialApplication).where(JudicialApplication.case_id == case.id)).first()
    if existing is not None:
        raise Conflict(f"application {existing.id} already exists for this case", application_id=existing.id)
    if settings.judicial_courts and court_name not in settings.judicial_courts:
        raise InvalidInput(f"{court_name} is not one of the courts configured for judicial confirmation",
                           errors=[{"loc": ["court_name"], "msg": "not a configured court"}],
                           courts=list(settings.judicial_courts))
    agreement = signed_agreement(session, case)
    effective = effective_date(session, agreement)
    last_day = confirmation_deadline(effective)
    late = check_in_time(effective=effective, today=utcnow().astimezone(SHANGHAI).date(),
                         acknowledged=acknowledge_late)
    addresses = service_address.merged(confirmed_online=service_address.confirmed(session, case=case),
                                       recorded=service_addresses)
    inputs = application_inputs(session, settings, case=case, agreement=agreement, court_name=court_name,
                                applied_on=utcnow().astimezone(SHANGHAI).date(), addresses=addresses,
                                signer_phones={r.party_id: r.phone for r in representatives if r.phone})
    draft, version = create_draft(session, settings, case=case, template_id=APPLICATION_TEMPLATE, language="zh-CN",
                                  inputs=inputs, note="司法确认申请书", actor=actor)
    document = finalise(session, settings, case=case, draft=draft, version=version.version, actor=actor)
    request = signing.open_request(session, settings, tokens, keystore, case=case, document_id=document.id,
                                   deadline_at=deadline_at, representatives=representatives, actor=actor)
    application = JudicialApplication(case_id=id_of(case), agreement_document_id=agreement.id,
                                      application_document_id=document.id, signing_request_id=request.id,
                                      court_name=court_name, created_by_user_id=actor.id)
    session.add(application)
    session.flush()
    _audit(session, application, actor=_actor(actor), action="judicial.application_started",
           payload={"court_name": court_name, "agreement_document_id": agreement.id,
                    "effective_date": effective, "last_day": last_day, "late": late,
                    "late_acknowledged": late and acknowledge_late,
                    "application_document_id": document.id, "signing_request_id": request.id,
                    "application_sha256": document.sha256})
    return application


def application_for_case_or_404(session: Session, case: Case, *, for_update: bool = False) -> JudicialApplication:
    """The case's application for judicial confirmation (locked with ``for_update``), or NotFound."""
    return one_or_404(session, select(JudicialApplication).where(JudicialApplication.case_id == case.id),
                      missing="no application for judicial confirmation on this case", for_update=for_update)


def _document(session: Session, application: JudicialApplication, document_id: str) -> Document:
    """A document the application refers to (a foreign key: missing only in a corrupt database)."""
    document = session.get(Document, document_id)
    if document is None:
        raise RuntimeError(f"document {document_id} of judicial application {application.id} is missing")
    return document


def refresh_status(session: Session, application: JudicialApplication) -> JudicialApplication:
    """Move 'signing' to 'signed' once the application's signing request has completed.

    Any page or API read of the application calls this, without the lock the officer's steps take, so the move
    is a compare-and-set: an application that moved on meanwhile (filed while its package was being built) is
    left as it is, not put back to 'signed' from what this read saw."""
    if application.status == ApplicationStatus.SIGNING.value and application.signing_request_id:
        request = session.get(SigningRequest, application.signing_request_id)
        if request is not None and request.status == RequestStatus.COMPLETED.value:
            moved = session.execute(
                update(JudicialApplication)
                .where(col(JudicialApplication.id) == application.id,
                       col(JudicialApplication.status) == ApplicationStatus.SIGNING.value)
                .values(status=ApplicationStatus.SIGNED.value, updated_at=utcnow())
                .execution_options(synchronize_session=False))
            session.refresh(application)
            if moved.rowcount == 1:  # type: ignore[attr-defined]
                _audit(session, application, actor="system", action="judicial.application_signed",
                       payload={"sha256": request.current_sha256})
    return application


# ---- the evidence package --------------------------------------------------------------------------------

def _evidence_report_inputs(session: Session, settings: Settings, *, case: Case, document: Document,
                            signed_sha256: str, audit_head: str | None) -> dict[str, Any]:
    events = signing.signing_events(session, document_id=document.id)
    signatures = []
    for e in events:
        if e["kind"] not in ("signature", "seal"):
            continue
        evidence = e.get("evidence") or {}
        ident = evidence.get("identity") or {}
        method = {"remote": "远程签署（短信验证码）", "onsite": "现场签署（短信验证码）",
                  "external": "机构自有证书签署"}.get(evidence.get("mode") or "", "电子印章" if e["kind"] == "seal"
                                                                          else "电子签署")
        signatures.append({
            "role": e.get("role") or ("调解组织印章" if e["kind"] == "seal" else "签署人"),
            "signer": e.get("signer") or settings.center_name, "method": method, "signed_at": e["at"],
            "certificate_serial": e.get("cert_serial"),
            "ip_address": (evidence.get("client") or {}).get("address"),
            "otp_channel": f"短信 {ident['phone']}" if ident.get("phone") else None})
    if not signatures:
        raise NotReadyForConfirmation("the agreement has no recorded signing events")
    return {"case_number": case.number, "center_name": settings.center_name, "document_title": document.title,
            "document_id": document.id, "document_sha256": document.sha256, "signed_sha256": signed_sha256,
            "signatures": signatures, "audit_head_hash": audit_head, "generated_at": utcnow()}


def _dss_files(pdf: bytes, prefix: str) -> dict[str, bytes]:
    """Certificates, CRLs and OCSP responses carried in the signed PDF, as separate files."""
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    out: dict[str, bytes] = {}
    root = PdfFileReader(io.BytesIO(pdf), strict=False).root
    if "/DSS" not in root:
        return out
    dss = root["/DSS"]
    for key, folder, ext in (("/Certs", "certificates", "cer"), ("/CRLs", "revocation", "crl"),
                             ("/OCSPs", "revocation", "ocsp")):
        for ref in (dss[key] if key in dss else []):  # noqa: SIM401 - [] resolves indirect objects, .get() not
            data = ref.get_object().data
            out[f"{folder}/{prefix}-{hashlib.sha256(data).hexdigest()[:16]}.{ext}"] = data
    return out


def _audit_extract(session: Session, case_id: int) -> bytes:
    entries = [{"seq": e.seq, "at": e.at.isoformat(), "actor": e.actor, "action": e.action, "subject": e.subject,
                "payload": json.loads(e.payload), "prev_hash": e.prev_hash, "hash": e.hash}
               for e in case_trail(session, case_id)]
    return json.dumps({"case_id": case_id, "entries": entries}, ensure_ascii=False, indent=2).encode("utf-8")


def _audit_transparency_files(session: Session, keystore: KeyStore, case_id: int) -> dict[str, bytes]:
    """The case's chain, its inclusion proof and the signed, timestamped tree head it leads to (folding the
    chains first, so the proof covers the case's history up to now); a court checks them with
    ``judicial.package.check_audit_proof``."""
    from ..audit import transparency
    from ..pki.settings import get_pki_settings
    from ..pki.tsa import timestamper_from_settings

    transparency.fold(session, keystore, timestamper_from_settings(keystore, get_pki_settings()))
    proof = transparency.case_evidence(session, case_id)
    if proof is None:
        return {}
    dump = lambda value: json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8")  # noqa: E731
    return {AUDIT_CHAIN: dump({"chain": proof["chain"], "entries": proof["entries"]}),
            AUDIT_PROOF: dump(proof["proof"]), AUDIT_TREE_HEAD: proof["tree_head"]["signed_head"].encode("ascii"),
            AUDIT_TIMESTAMP: proof["timestamp_token"]}


def build_package(session: Session, settings: Settings, keystore: KeyStore, *, case: Case,
                  actor: User) -> EvidencePackage:
    """Store a new evidence package once the application is signed (NotReadyForConfirmation, 409,
    while it is being signed or if a signed PDF is missing or does not verify TOTAL_PASSED); the audit chains
    are folded into a new tree head first. The application becomes filed, a signed case
    confirmation_requested; audited."""
    application = refresh_status(session, application_for_case_or_404(session, case, for_update=True))
    if application.status == ApplicationStatus.SIGNING.value:
        raise NotReadyForConfirmation("the application is still being signed",
                                      signing_request_id=application.signing_request_id)
    agreement = _document(session, application, application.agreement_document_id)
    application_doc = _document(session, application, application.application_document_id)
    agreement_pdf = signing.signed_pdf(session, document_id=agreement.id)
    application_pdf = signing.signed_pdf(session, document_id=application_doc.id)
    if agreement_pdf is None or application_pdf is None:
        raise NotReadyForConfirmation("a signed file is missing")
    roots = [keystore.certificate(hierarchy.ROOT)]
    reports = {name: verify_pdf(pdf, trust_roots=roots, file_name=name)
               for name, pdf in (("agreement-signed.pdf", agreement_pdf), ("application-signed.pdf", application_pdf))}
    failed = {n: r.summary for n, r in reports.items() if r.indication.value != "TOTAL_PASSED"}
    if failed:
        raise NotReadyForConfirmation("a signed file does not verify", reports=failed)
    case_id = id_of(case)
    audit_files = _audit_transparency_files(session, keystore, case_id)
    trail = case_trail(session, case_id)
    audit_head = trail[-1].hash if trail else None
    evidence_inputs = _evidence_report_inputs(session, settings, case=case, document=agreement,
                                              signed_sha256=hashlib.sha256(agreement_pdf).hexdigest(),
                                              audit_head=audit_head)
    evidence = render_document(EVIDENCE_TEMPLATE, evidence_inputs, language="zh-CN", document_id=agreement.id,
                               verification_code=agreement.verification_code, base_url=settings.public_base_url)
    files: dict[str, bytes] = {
        "agreement-signed.pdf": agreement_pdf, "application-signed.pdf": application_pdf,
        "evidence-report.pdf": evidence.pdf, "audit-trail.json": _audit_extract(session, case_id),
        "signing-events.json": json.dumps(signing.signing_events(session, document_id=agreement.id),
                                          ensure_ascii=False, indent=2, default=str).encode("utf-8"),
        "certificates/center-root.cer": roots[0].public_bytes(Encoding.DER),
        **audit_files,
    }
    evidence_files, evidence_list = case_evidence_files(session, case_id=case_id)
    files.update(evidence_files)
    for name, report in reports.items():
        files[f"verification/{name.removesuffix('.pdf')}.json"] = report.model_dump_json(indent=2).encode("utf-8")
    for index, letter in enumerate(_letters(session, agreement), start=1):
        files[f"authorisation/letter-{index}.pdf"] = letter.authorisation_doc
    files.update(_dss_files(agreement_pdf, "agreement"))
    files.update(_dss_files(application_pdf, "application"))
    # For the clerk: a Chinese index (目录) as the first entry and the audit trail as a timeline in words.
    files.update(package_extras(session, case, files, court_name=application.court_name, center=settings.center_name))
    meta = {"case_number": case.number, "court_name": application.court_name, "application_id": application.id,
            "agreement_document_id": agreement.id, "application_document_id": application_doc.id,
            "created_at": utcnow().isoformat(), "center": settings.center_name, "audit_head_hash": audit_head,
            "keys": f"{settings.public_base_url.rstrip('/')}/.well-known/jwks.json", "evidence": evidence_list}
    zip_bytes, manifest = build_zip(files, meta=meta, sign=lambda body: _sign_bytes(keystore, body))
    package = EvidencePackage(application_id=id_of(application), case_id=case_id, zip_bytes=zip_bytes,
                              sha256=hashlib.sha256(zip_bytes).hexdigest(),
                              manifest_sha256=hashlib.sha256(manifest).hexdigest(), size=len(zip_bytes),
                              created_by_user_id=actor.id)
    session.add(package)
    if application.status == ApplicationStatus.SIGNED.value:
        application.status = ApplicationStatus.FILED.value
    application.updated_at = utcnow()
    session.add(application)
    session.flush()
    _audit(session, application, actor=_actor(actor), action="judicial.package_built",
           payload={"package_id": package.id, "sha256": package.sha256, "manifest_sha256": package.manifest_sha256,
                    "files": sorted(files)})
    if CaseStatus(case.status) == CaseStatus.SIGNED:
        transition(session, case=case, target=CaseStatus.CONFIRMATION_REQUESTED, actor=_actor(actor),
                   payload={"application_id": application.id, "court_name": application.court_name})
    return package


def _sign_bytes(keystore: KeyStore, body: bytes) -> str:
    """JWS over the exact manifest bytes (a court checks the file it has, not a re-serialisation), with the
    manifest key and ``typ`` (never the report key: see ``verification.attestation``)."""
    return attestation.sign_bytes(keystore, body, typ=attestation.MANIFEST.typ)


def latest_package(session: Session, case: Case) -> EvidencePackage:
    """The case's newest evidence package; NotFound when none was built."""
    package = session.exec(select(EvidencePackage).where(EvidencePackage.case_id == case.id)
                           .order_by(col(EvidencePackage.id).desc())).first()
    if package is None:
        raise NotFound("no evidence package has been built for this case")
    return package


def package_for(session: Session, *, case: Case, user: User) -> EvidencePackage:
    """The newest package; the case was loaded through get_visible_case_or_404 (courts: shared cases only).
    Parties and experts are refused (``security.access``): it holds every signer's evidence and the audit trail."""
    access.require(user, access.Obj.EVIDENCE_PACKAGE)
    package = latest_package(session, case)
    record(session, actor=_actor(user), action="judicial.package_downloaded", subject=f"case:{case.id}",
           case_id=case.id, payload={"package_id": package.id, "sha256": package.sha256, "role": str(user.role)})
    return package


def share_with_court(session: Session, *, case: Case, court_user_id: int, days: int, actor: User):
    """``cases.service.share_with_court`` by the court user's id: NotFound for no such user, InvalidInput (422)
    for a user who is not a court account or a length out of bounds (``cases.deadlines.COURT_SHARE_MAX_DAYS``)."""
    court_user = session.get(User, court_user_id)
    if court_user is None:
        raise NotFound(f"user {court_user_id} not found")
    return _share_case(session, case=case, court_user=court_user, days=days, actor=_actor(actor))


# ---- the ruling ------------------------------------------------------------------------------------------

def record_ruling(session: Session, *, case: Case, confirmed: bool, ruling_number: str, ruling_date: date,
                  court_name: str, reason: str | None, actor: User) -> Ruling:
    """The court's ruling on the filed application: the case becomes confirmed or not_confirmed, a
    confirmed agreement's document too (audited). Forbidden for other roles, Conflict for a second ruling,
    NotReadyForConfirmation before filing, InvalidInput for a refusal without a reason or for a date after
    today (Beijing)."""
    if actor.role != Role.COURT:
        raise Forbidden("only the court records its ruling")
    application = application_for_case_or_404(session, case, for_update=True)
    if session.exec(select(Ruling).where(Ruling.application_id == application.id)).first() is not None:
        raise Conflict("a ruling has already been recorded for this application")
    if application.status != ApplicationStatus.FILED.value:
        raise NotReadyForConfirmation("the evidence package has not been filed with the court yet",
                                      application_status=application.status)
    if not confirmed and not (reason and reason.strip()):
        raise InvalidInput("say why the agreement was not confirmed", errors=[{"loc": ["reason"], "msg": "required"}])
    if ruling_date > today_in_shanghai():  # a ruling is dated the day it is made, in Beijing, or before
        raise InvalidInput("the ruling date is in the future", errors=[{"loc": ["ruling_date"], "msg": "future"}])
    ruling = Ruling(application_id=id_of(application), case_id=id_of(case), confirmed=confirmed,
                    ruling_number=ruling_number.strip(), ruling_date=ruling_date, court_name=court_name.strip(),
                    reason=reason, recorded_by_user_id=id_of(actor))
    session.add(ruling)
    application.status = (ApplicationStatus.CONFIRMED if confirmed else ApplicationStatus.NOT_CONFIRMED).value
    application.updated_at = utcnow()
    session.add(application)
    session.flush()
    target = CaseStatus.CONFIRMED if confirmed else CaseStatus.NOT_CONFIRMED
    transition(session, case=case, target=target, actor=_actor(actor), reason=reason,
               payload={"ruling_number": ruling.ruling_number, "ruling_date": ruling_date,
                        "court_name": ruling.court_name})
    if confirmed:
        agreement = _document(session, application, application.agreement_document_id)
        mark_status(session, document=agreement, status=DocumentStatus.CONFIRMED, actor=_actor(actor),
                    payload={"ruling_number": ruling.ruling_number})
    _audit(session, application, actor=_actor(actor), action="judicial.ruling_recorded",
           payload={"ruling_id": ruling.id, "confirmed": confirmed, "ruling_number": ruling.ruling_number,
                    "ruling_date": ruling_date, "court_name": ruling.court_name, "reason": reason})
    return ruling
