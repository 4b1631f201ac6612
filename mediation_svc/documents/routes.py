"""Documents API: templates, drafts and their versions, diff, preview, finalise, supersede, download.

Who may do what (least privilege; cases someone cannot see are 404 for them):
- drafting (templates, drafts, versions, diff, preview, finalise, supersede): case officers and admins, and
  the mediator assigned to the case;
- reading finalised documents (list, metadata, PDF): the same, plus the case's parties and courts the case
  is shared with.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlmodel import Session

from ..accounts.models import User
from ..cases.models import Case
from ..cases.service import get_visible_case_or_404
from ..db import id_of
from ..security import access
from ..deps import SessionDep, SettingsDep, require
from ..reliability import ClientPresent
from ..security.roles import CASE_WORKERS
from ..signing import service as signing
from . import service
from .models import Document, Draft, DraftVersion
from .schemas import (DiffRead, DocumentRead, DraftCreate, DraftRead, DraftSave, DraftVersionRead, FinaliseIn,
                      SupersedeIn, SupersedeRead, TemplateRead)
from .templates import REGISTRY, get_template

router = APIRouter(prefix="/api/v1", tags=["documents"])

Drafter = Annotated[User, require(*CASE_WORKERS)]
# who reads the agreement is security.access's rule (Obj.AGREEMENT), the same on the pages
Reader = Annotated[User, require(*access.RULES[access.Obj.AGREEMENT])]


# -- reading helpers (shape only) ----------------------------------------------------------------------

def version_read(version: DraftVersion, *, with_inputs: bool = False) -> DraftVersionRead:
    return DraftVersionRead(version=version.version, template_version=version.template_version,
                            inputs_hash=version.inputs_hash, note=version.note, created_at=version.created_at,
                            created_by_user_id=version.created_by_user_id,
                            inputs=service.version_inputs(version) if with_inputs else None)


def draft_read(session: Session, draft: Draft, *, with_versions: bool = True) -> DraftRead:
    versions = [version_read(v) for v in service.list_versions(session, draft=draft)] if with_versions else []
    return DraftRead(id=id_of(draft), case_id=draft.case_id, kind=draft.kind, template_id=draft.template_id,
                     language=draft.language, latest_version=draft.latest_version, document_id=draft.document_id,
                     created_at=draft.created_at, updated_at=draft.updated_at, versions=versions)


def document_read(document: Document) -> DocumentRead:
    fields = {name: getattr(document, name) for name in DocumentRead.model_fields if name != "pdf_url"}
    return DocumentRead(**fields, pdf_url=f"/api/v1/documents/{document.id}/pdf")


def template_read(spec) -> TemplateRead:
    return TemplateRead(template_id=spec.template_id, language=spec.language, version=spec.version, kind=spec.kind,
                        title=spec.title, inputs_schema=spec.inputs.model_json_schema())


def pdf_response(pdf: bytes, filename: str, *, extra: dict[str, str] | None = None) -> Response:
    # ASCII file name only: Chinese titles go into the PDF's own metadata.
    headers = {"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "no-store",
               "X-Content-Type-Options": "nosniff", **(extra or {})}
    return Response(pdf, media_type="application/pdf", headers=headers)


def _case(session: Session, user: User, case_id: int, *, for_update: bool = False) -> Case:
    return get_visible_case_or_404(session, user=user, case_id=case_id, for_update=for_update)


# -- templates -----------------------------------------------------------------------------------------

@router.get("/document-templates", response_model=list[TemplateRead])
def list_templates(user: Drafter) -> list[TemplateRead]:
    return [template_read(spec) for spec in REGISTRY.values()]


@router.get("/document-templates/{template_id}", response_model=TemplateRead)
def get_template_detail(template_id: str, user: Drafter, language: str = "zh-CN",
                        version: int | None = Query(None, ge=1)) -> TemplateRead:
    return template_read(get_template(template_id, language=language, version=version))


# -- drafts --------------------------------------------------------------------------------------------

@router.post("/cases/{case_id}/drafts", status_code=201, response_model=DraftRead)
def create_draft(case_id: int, data: DraftCreate, session: SessionDep, settings: SettingsDep,
                 user: Drafter) -> DraftRead:
    case = _case(session, user, case_id, for_update=True)
    draft, _ = service.create_draft(session, settings, case=case, template_id=data.template_id,
                                    language=data.language, inputs=data.inputs, note=data.note, actor=user)
    return draft_read(session, draft)


@router.get("/cases/{case_id}/drafts", response_model=list[DraftRead])
def list_drafts(case_id: int, session: SessionDep, user: Drafter) -> list[DraftRead]:
    case = _case(session, user, case_id)
    return [draft_read(session, d, with_versions=False) for d in service.list_drafts(session, case=case)]


@router.get("/cases/{case_id}/drafts/{draft_id}", response_model=DraftRead)
def get_draft(case_id: int, draft_id: int, session: SessionDep, user: Drafter) -> DraftRead:
    draft = service.get_draft_or_404(session, case=_case(session, user, case_id), draft_id=draft_id)
    return draft_read(session, draft)


@router.post("/cases/{case_id}/drafts/{draft_id}/versions", status_code=201, response_model=DraftVersionRead)
def save_version(case_id: int, draft_id: int, data: DraftSave, session: SessionDep, settings: SettingsDep,
                 user: Drafter) -> DraftVersionRead:
    case = _case(session, user, case_id, for_update=True)
    draft = service.get_draft_or_404(session, case=case, draft_id=draft_id, for_update=True)
    version = service.save_version(session, settings, case=case, draft=draft, inputs=data.inputs, note=data.note,
                                   base_version=data.base_version, actor=user)
    return version_read(version, with_inputs=True)


@router.get("/cases/{case_id}/drafts/{draft_id}/versions", response_model=list[DraftVersionRead])
def list_versions(case_id: int, draft_id: int, session: SessionDep, user: Drafter) -> list[DraftVersionRead]:
    draft = service.get_draft_or_404(session, case=_case(session, user, case_id), draft_id=draft_id)
    return [version_read(v) for v in service.list_versions(session, draft=draft)]


@router.get("/cases/{case_id}/drafts/{draft_id}/versions/{version}", response_model=DraftVersionRead)
def get_version(case_id: int, draft_id: int, version: int, session: SessionDep, user: Drafter) -> DraftVersionRead:
    draft = service.get_draft_or_404(session, case=_case(session, user, case_id), draft_id=draft_id)
    return version_read(service.get_version_or_404(session, draft=draft, version=version), with_inputs=True)


@router.get("/cases/{case_id}/drafts/{draft_id}/diff", response_model=DiffRead)
def compare_versions(case_id: int, draft_id: int, session: SessionDep, user: Drafter,
                     from_version: Annotated[int, Query(alias="from", ge=1)],
                     to_version: Annotated[int, Query(alias="to", ge=1)]) -> DiffRead:
    draft = service.get_draft_or_404(session, case=_case(session, user, case_id), draft_id=draft_id)
    return DiffRead(**service.compare_versions(session, draft=draft, from_version=from_version,
                                               to_version=to_version))


@router.get("/cases/{case_id}/drafts/{draft_id}/versions/{version}/preview.pdf",
            dependencies=[ClientPresent], response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def preview(case_id: int, draft_id: int, version: int, session: SessionDep, settings: SettingsDep,
            user: Drafter) -> Response:
    draft = service.get_draft_or_404(session, case=_case(session, user, case_id), draft_id=draft_id)
    rendered = service.preview(settings, draft=draft,
                               version=service.get_version_or_404(session, draft=draft, version=version))
    return pdf_response(rendered.pdf, f"draft-{draft.id}-v{version}-preview.pdf")


@router.post("/cases/{case_id}/drafts/{draft_id}/finalise",
             dependencies=[ClientPresent], status_code=201, response_model=DocumentRead)
def finalise(case_id: int, draft_id: int, data: FinaliseIn, session: SessionDep, settings: SettingsDep,
             user: Drafter) -> DocumentRead:
    case = _case(session, user, case_id, for_update=True)
    draft = service.get_draft_or_404(session, case=case, draft_id=draft_id, for_update=True)
    return document_read(service.finalise(session, settings, case=case, draft=draft, version=data.version,
                                          actor=user))


# -- finalised documents -------------------------------------------------------------------------------

@router.get("/cases/{case_id}/documents", response_model=list[DocumentRead])
def list_documents(case_id: int, session: SessionDep, user: Reader) -> list[DocumentRead]:
    return [document_read(d) for d in service.list_documents(session, case=_case(session, user, case_id))]


@router.get("/documents/{document_id}", response_model=DocumentRead)
def get_document(document_id: str, session: SessionDep, user: Reader) -> DocumentRead:
    document, _ = service.get_visible_document_or_404(session, user=user, document_id=document_id)
    return document_read(document)


@router.get("/documents/{document_id}/pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def download_pdf(document_id: str, session: SessionDep, user: Reader) -> Response:
    document, _ = service.get_visible_document_or_404(session, user=user, document_id=document_id)
    return pdf_response(document.pdf, f"{document.kind}-{document.id}.pdf",
                        extra={"ETag": f'"{document.sha256}"', "X-Document-SHA256": document.sha256,
                               "X-Document-Status": str(document.status)})


@router.post("/documents/{document_id}/supersede", response_model=SupersedeRead)
def supersede(document_id: str, data: SupersedeIn, session: SessionDep, settings: SettingsDep,
              user: Drafter) -> SupersedeRead:
    document, case = service.get_visible_document_or_404(session, user=user, document_id=document_id)
    case = _case(session, user, id_of(case), for_update=True)
    draft, _ = signing.supersede_document(session, settings, case=case, document=document, reason=data.reason,
                                          inputs=data.inputs, note=data.note, actor=user)
    return SupersedeRead(voided=document_read(document), draft=draft_read(session, draft))
