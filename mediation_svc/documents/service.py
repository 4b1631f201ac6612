"""Drafting, finalising and superseding documents (the rules; routes only call these).

Life of a mediation agreement (调解协议书)::

    create_draft / save_version      draft v1, v2, ...   case in_mediation -> agreement_drafted (first save)
    finalise(version=n)              Document(final)     case agreement_drafted -> signing
    supersede(document, reason)      Document(voided) + draft v(n+1)   case signing -> agreement_drafted
    finalise(version=n+1)            Document(final, supersedes_id=old) case -> signing

Only documents of kind ``agreement`` move the case; other kinds (session notice, evaluation opinion,
application for judicial confirmation) are drafted and finalised the same way without touching it.
Every change is audited in the same transaction. Services flush, never commit.

Public API for the other domains (keep these signatures stable)::

    create_draft(session, settings, *, case, template_id, language, inputs, note, actor) -> (Draft, DraftVersion)
    save_version(session, settings, *, case, draft, inputs, note, base_version, actor) -> DraftVersion
    compare_versions(session, *, draft, from_version, to_version) -> {"from_version", "to_version",
                                                                       "changes", "unified"}
    preview(settings, *, draft, version) -> rendering.RenderedDocument (marked as a draft, not stored)
    finalise(session, settings, *, case, draft, version, actor) -> Document          (signing uses this row:
        document.pdf, .sha256, .status, .verification_code, .page_count, .case_id, .kind, .title)
    supersede(session, settings, *, case, document, reason, inputs, note, actor) -> (Draft, DraftVersion)
    mark_status(session, *, document, status, actor, payload=None) -> Document  (final -> signing -> signed
        -> confirmed; used by signing and judicial)
    find_by_code(session, code) -> Document | None      (verification: printed code, any spelling)
    find_by_sha256(session, sha256) -> list[Document]   (verification: the exact bytes someone holds)
    get_visible_document_or_404(session, *, user, document_id) -> (Document, Case)
    list_documents(session, *, case) -> list[Document]

Rendering without storing anything (session notices, evidence reports, judicial applications) is
``rendering.render_document``; see that module.

Errors: ``errors.InvalidInput`` (422, every missing or malformed input listed in ``errors``),
``DocumentFinalised`` and ``StaleVersion`` (409), ``errors.Conflict`` (409, the case is in the wrong
state), ``errors.NotFound`` (404).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from sqlmodel import Session, col, select

from ..accounts.models import User
from ..audit.chain import actor_of, canonical_json, record
from ..cases.models import Case
from ..cases.service import get_visible_case_or_404, parties_of, transition
from ..cases.states import CaseStatus
from ..config import Settings
from ..db import get_or_404, id_of, one_or_404, utcnow
from ..errors import Conflict, NotFound
from ..security import access
from ..security.pipl import mask_id_number
from ..timeutil import today_in_shanghai
from . import diffing
from .models import Document, DocumentStatus, Draft, DraftVersion
from .rendering import RenderedDocument, render_document, validate_inputs
from .templates import get_template

AGREEMENT = "agreement"
# Crockford's base32 without I, L, O, U: nothing to misread when typed from paper.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16  # 80 bits from the OS CSPRNG
DRAFTING_STATES = {CaseStatus.IN_MEDIATION, CaseStatus.AGREEMENT_DRAFTED}
# Moves of Document.status made by the signing and judicial domains (see mark_status).
STATUS_MOVES = {
    DocumentStatus.FINAL: {DocumentStatus.SIGNING, DocumentStatus.SIGNED},
    DocumentStatus.SIGNING: {DocumentStatus.SIGNED},
    DocumentStatus.SIGNED: {DocumentStatus.CONFIRMED},
    DocumentStatus.CONFIRMED: set(),
    DocumentStatus.VOIDED: set(),
}


class DocumentFinalised(Conflict):
    slug, title = "document-finalised", "The document is final and cannot be changed"


class StaleVersion(Conflict):
    slug, title = "stale-draft-version", "The draft has a newer version"


actor_ref = actor_of  # the audit log's name for a person (audit.chain.actor_of)


def generate_verification_code() -> str:
    """A new printed verification code: 16 characters of Crockford's base32 from the OS CSPRNG (80 bits)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    """What a person typed (grouped, lower case, O for 0...) -> the stored code."""
    plain = code.strip().upper().replace("-", "").replace(" ", "")
    return plain.translate(str.maketrans("OIL", "011"))  # O -> 0, I and L -> 1


def group_code(code: str) -> str:
    """The code as printed: groups of four characters joined by dashes."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


# -- defaults from the case ----------------------------------------------------------------------------

def case_defaults(session: Session, settings: Settings, *, case: Case, language: str) -> dict[str, Any]:
    """What the case already knows: number, centre, parties, mediator, today's date."""
    parties = []
    for p in parties_of(session, id_of(case)):
        party: dict[str, str | None] = {"role": p.role, "kind": p.kind, "name": p.name}
        for key in ("id_type", "id_number", "credit_code", "address", "phone", "representative_name",
                    "representative_title"):
            value = getattr(p, key)
            if value:
                party[key] = mask_id_number(value) if key == "id_number" else value
        parties.append(party)
    mediators = []
    if case.mediator_user_id is not None:
        mediator = session.get(User, case.mediator_user_id)
        if mediator is not None:
            mediators.append({"name": mediator.display_name, "title": "调解员" if language == "zh-CN" else "Mediator"})
    today = today_in_shanghai().isoformat()
    return {
        "case_number": case.number,
        "center_name": settings.center_name if language == "zh-CN" else settings.center_name_en,
        "parties": parties, "applicants": parties, "mediators": mediators,
        "agreement_date": today, "issued_on": today, "applied_on": today,
        "organisation_kind": settings.organisation_kind,
    }


def _with_defaults(session: Session, settings: Settings, *, case: Case, template_id: str, language: str,
                   inputs: dict[str, Any]) -> dict[str, Any]:
    fields = get_template(template_id, language=language).inputs.model_fields
    defaults = {k: v for k, v in case_defaults(session, settings, case=case, language=language).items()
                if k in fields}
    return {**defaults, **(inputs or {})}


# -- drafts --------------------------------------------------------------------------------------------

def _add_version(session: Session, settings: Settings, *, case: Case, draft: Draft, inputs: dict[str, Any],
                 note: str | None, actor: User, merge_defaults: bool = True) -> DraftVersion:
    full = _with_defaults(session, settings, case=case, template_id=draft.template_id, language=draft.language,
                          inputs=inputs) if merge_defaults else inputs
    spec, canonical, inputs_hash = validate_inputs(draft.template_id, full, language=draft.language)
    draft.latest_version += 1
    draft.updated_at = utcnow()
    version = DraftVersion(draft_id=id_of(draft), version=draft.latest_version, template_version=spec.version,
                           inputs_json=canonical_json(canonical), inputs_hash=inputs_hash, note=note,
                           created_by_user_id=actor.id)
    session.add(draft)
    session.add(version)
    session.flush()
    record(session, actor=actor_ref(actor), action="document.draft_saved", subject=f"draft:{draft.id}",
           case_id=case.id, payload={"draft_id": draft.id, "version": version.version, "template_id": draft.template_id,
                                     "template_version": spec.version, "inputs_hash": inputs_hash, "note": note})
    if draft.kind == AGREEMENT and CaseStatus(case.status) == CaseStatus.IN_MEDIATION:
        transition(session, case=case, target=CaseStatus.AGREEMENT_DRAFTED, actor=actor_ref(actor),
                   payload={"draft_id": draft.id})
    return version


def _check_case_open_for_drafting(case: Case, kind: str) -> None:
    if kind == AGREEMENT and CaseStatus(case.status) not in DRAFTING_STATES:
        raise Conflict(f"an agreement can be drafted only while the case is in mediation "
                       f"(the case is '{case.status}')", case_status=case.status)


def create_draft(session: Session, settings: Settings, *, case: Case, template_id: str, language: str,
                 inputs: dict[str, Any], note: str | None, actor: User) -> tuple[Draft, DraftVersion]:
    """Open a draft of ``template_id`` on the case with its first version (``inputs`` over the case's
    defaults); audited. InvalidInput (422) for inputs the template refuses; an agreement needs the case in
    mediation (Conflict, 409) and moves it to agreement_drafted."""
    spec = get_template(template_id, language=language)
    _check_case_open_for_drafting(case, spec.kind)
    draft = Draft(case_id=id_of(case), kind=spec.kind, template_id=template_id, language=language,
                  created_by_user_id=actor.id)
    session.add(draft)
    session.flush()
    record(session, actor=actor_ref(actor), action="document.draft_created", subject=f"draft:{draft.id}",
           case_id=case.id, payload={"draft_id": draft.id, "template_id": template_id, "language": language})
    version = _add_version(session, settings, case=case, draft=draft, inputs=inputs, note=note, actor=actor)
    return draft, version


def get_draft_or_404(session: Session, *, case: Case, draft_id: int, for_update: bool = False) -> Draft:
    """The draft on this case (locked with ``for_update``), or NotFound."""
    return one_or_404(session, select(Draft).where(Draft.id == draft_id, Draft.case_id == case.id),
                      missing=f"draft {draft_id} not found on this case", for_update=for_update)


def list_drafts(session: Session, *, case: Case) -> list[Draft]:
    """The case's drafts, oldest first."""
    return list(session.exec(select(Draft).where(Draft.case_id == case.id).order_by(col(Draft.id))).all())


def list_versions(session: Session, *, draft: Draft) -> list[DraftVersion]:
    """The draft's versions, v1 first."""
    return list(session.exec(select(DraftVersion).where(DraftVersion.draft_id == draft.id)
                             .order_by(col(DraftVersion.version))).all())


def get_version_or_404(session: Session, *, draft: Draft, version: int) -> DraftVersion:
    """The draft's version ``version``, or NotFound (carrying the draft's ``latest_version``)."""
    row = session.exec(select(DraftVersion).where(DraftVersion.draft_id == draft.id,
                                                  DraftVersion.version == version)).first()
    if row is None:
        raise NotFound(f"draft {draft.id} has no version {version}", latest_version=draft.latest_version)
    return row


def _active_document(session: Session, draft: Draft) -> Document | None:
    if draft.document_id is None:
        return None
    document = session.get(Document, draft.document_id)
    return document if document is not None and document.status != DocumentStatus.VOIDED else None


def save_version(session: Session, settings: Settings, *, case: Case, draft: Draft, inputs: dict[str, Any],
                 note: str | None, base_version: int | None, actor: User) -> DraftVersion:
    """A new version with the full inputs; ``base_version`` guards against overwriting a colleague's save."""
    document = _active_document(session, draft)
    if document is not None:
        raise DocumentFinalised(f"draft {draft.id} was finalised as document {document.id}; supersede that "
                                f"document to change it", document_id=document.id)
    _check_case_open_for_drafting(case, draft.kind)
    if base_version is not None and base_version != draft.latest_version:
        raise StaleVersion(f"version {draft.latest_version} was saved after version {base_version}",
                           latest_version=draft.latest_version)
    return _add_version(session, settings, case=case, draft=draft, inputs=inputs, note=note, actor=actor)


def version_inputs(version: DraftVersion) -> dict[str, Any]:
    """The full inputs a version stored (its canonical JSON, parsed)."""
    return json.loads(version.inputs_json)


def compare_versions(session: Session, *, draft: Draft, from_version: int, to_version: int) -> dict[str, Any]:
    """What changed between two versions of the draft (``diffing.compare``: the changed fields and a
    unified diff); NotFound for a version the draft does not have."""
    a = get_version_or_404(session, draft=draft, version=from_version)
    b = get_version_or_404(session, draft=draft, version=to_version)
    result = diffing.compare(version_inputs(a), version_inputs(b), from_label=f"v{a.version}",
                             to_label=f"v{b.version}")
    return {"from_version": a.version, "to_version": b.version, **result}


def preview(settings: Settings, *, draft: Draft, version: DraftVersion) -> RenderedDocument:
    """The PDF as it would be finalised, marked as a draft on every page; nothing is stored."""
    return render_document(draft.template_id, version_inputs(version), language=draft.language,
                           version=version.template_version, document_id=f"draft-{draft.id}-v{version.version}",
                           verification_code="PREVIEW", base_url=settings.public_base_url, draft=True)


# -- finalised documents -------------------------------------------------------------------------------

def finalise(session: Session, settings: Settings, *, case: Case, draft: Draft, version: int,
             actor: User) -> Document:
    """Freeze one version: render once, store bytes + hashes, move the case to signing."""
    if _active_document(session, draft) is not None:
        raise DocumentFinalised(f"draft {draft.id} is already finalised", document_id=draft.document_id)
    if version != draft.latest_version:
        raise StaleVersion(f"only the latest version ({draft.latest_version}) can be finalised",
                           latest_version=draft.latest_version)
    row = get_version_or_404(session, draft=draft, version=version)
    if draft.kind == AGREEMENT and CaseStatus(case.status) != CaseStatus.AGREEMENT_DRAFTED:
        raise Conflict(f"the case is '{case.status}'; an agreement is finalised from 'agreement_drafted'",
                       case_status=case.status)
    previous_id = draft.document_id  # a voided predecessor, if this is a re-finalisation
    document = Document(case_id=id_of(case), kind=draft.kind, title="", template_id=draft.template_id,
                        template_version=row.template_version, language=draft.language, inputs_json=row.inputs_json,
                        inputs_hash=row.inputs_hash, pdf=b"", sha256="", size=0, page_count=0,
                        verification_code=generate_verification_code(), supersedes_id=previous_id,
                        draft_id=draft.id, draft_version=row.version, finalised_by=actor.id)
    rendered = render_document(draft.template_id, version_inputs(row), language=draft.language,
                               version=row.template_version, document_id=document.id,
                               verification_code=document.verification_code, base_url=settings.public_base_url)
    if rendered.inputs_hash != row.inputs_hash:  # the stored inputs must be exactly what was rendered
        raise RuntimeError("inputs changed between saving and finalising")
    document.title, document.pdf, document.sha256 = rendered.title, rendered.pdf, rendered.sha256
    document.size, document.page_count = rendered.size, rendered.page_count
    session.add(document)
    draft.document_id = document.id
    draft.updated_at = utcnow()
    session.add(draft)
    session.flush()
    record(session, actor=actor_ref(actor), action="document.finalised", subject=f"document:{document.id}",
           case_id=case.id, payload={"document_id": document.id, "draft_id": draft.id, "draft_version": row.version,
                                     "template_id": document.template_id,
                                     "template_version": document.template_version,
                                     "inputs_hash": document.inputs_hash, "sha256": document.sha256,
                                     "size": document.size, "pages": document.page_count,
                                     "supersedes_id": previous_id})
    if draft.kind == AGREEMENT:
        transition(session, case=case, target=CaseStatus.SIGNING, actor=actor_ref(actor),
                   payload={"document_id": document.id})
    return document


def supersede(session: Session, settings: Settings, *, case: Case, document: Document, reason: str,
              inputs: dict[str, Any] | None, note: str | None, actor: User) -> tuple[Draft, DraftVersion]:
    """Void a finalised document and open a new draft version (its inputs, or changed ones) in its place: the
    document's side. Callers take ``signing.service.supersede_document``, which voids its signing request first."""
    if document.status not in (DocumentStatus.FINAL, DocumentStatus.SIGNING):
        raise DocumentFinalised(f"document {document.id} is '{document.status}' and can no longer be superseded",
                                document_status=document.status)
    draft = session.exec(select(Draft).where(Draft.id == document.draft_id).with_for_update()).first()
    if draft is None:
        raise Conflict("the document was not made from a draft and cannot be superseded here")
    document.status = DocumentStatus.VOIDED
    document.voided_at = utcnow()
    document.void_reason = reason
    session.add(document)
    session.flush()
    record(session, actor=actor_ref(actor), action="document.voided", subject=f"document:{document.id}",
           case_id=case.id, payload={"document_id": document.id, "sha256": document.sha256, "reason": reason})
    if draft.kind == AGREEMENT and CaseStatus(case.status) == CaseStatus.SIGNING:
        transition(session, case=case, target=CaseStatus.AGREEMENT_DRAFTED, actor=actor_ref(actor),
                   reason=reason, payload={"voided_document_id": document.id})
    base = json.loads(document.inputs_json)
    version = _add_version(session, settings, case=case, draft=draft, inputs={**base, **(inputs or {})},
                           note=note or f"supersedes document {document.id}", actor=actor, merge_defaults=False)
    return draft, version


def get_visible_document_or_404(session: Session, *, user: User, document_id: str) -> tuple[Document, Case]:
    """The document and its case, if ``user`` sees the case (NotFound otherwise, as for a missing
    document) and may read agreements (``security.access``: Forbidden, 403, otherwise)."""
    missing = f"document {document_id} not found"
    document = get_or_404(session, Document, document_id, missing=missing)
    case = get_visible_case_or_404(session, user=user, case_id=document.case_id, missing=missing)
    access.require(user, access.Obj.AGREEMENT)
    return document, case


def list_documents(session: Session, *, case: Case) -> list[Document]:
    """The case's finalised documents, voided ones included, oldest first."""
    return list(session.exec(select(Document).where(Document.case_id == case.id)
                             .order_by(col(Document.created_at), col(Document.id))).all())


def find_by_code(session: Session, code: str) -> Document | None:
    """For the verification page: the document a printed code refers to (any status, voided included)."""
    return session.exec(select(Document).where(Document.verification_code == normalise_code(code))).first()


def find_by_sha256(session: Session, sha256: str) -> list[Document]:
    """For verification: the finalised documents whose stored PDF has exactly this SHA-256 (hex)."""
    digest = sha256.strip().lower()
    return list(session.exec(select(Document).where(Document.sha256 == digest)
                             .order_by(col(Document.created_at))).all())


def mark_status(session: Session, *, document: Document, status: DocumentStatus, actor: str,
                payload: dict[str, Any] | None = None) -> Document:
    """For the signing and judicial domains: final -> signing -> signed -> confirmed (audited)."""
    current = DocumentStatus(document.status)
    if status not in STATUS_MOVES[current]:
        raise Conflict(f"document {document.id} cannot go from '{current}' to '{status}'",
                       current_status=current.value, requested_status=status.value)
    document.status = status
    session.add(document)
    session.flush()
    record(session, actor=actor, action="document.status_changed", subject=f"document:{document.id}",
           case_id=document.case_id, payload={"from": current.value, "to": status.value, **(payload or {})})
    return document
