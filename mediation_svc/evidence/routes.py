"""The evidence API: the consumer's (``/api/v1/self/cases/{number}/evidence``, by a proved phone) and the staff's
(``/api/v1/cases/{case_id}/evidence``). A file is always a download (``attachment``, ``nosniff``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from ..accounts.models import User
from ..cases.models import Case
from ..cases.service import get_visible_case_or_404
from ..deps import CurrentUser, SessionDep, SettingsDep, actor_of, get_settings_dep
from ..errors import Forbidden, InvalidInput, NotFound
from ..selfservice import service as selfservice
from ..selfservice.routes import Consumer
from ..security.pipl import mask_phone
from . import policy, service
from .models import EvidenceItem
from .schemas import EvidenceRead, MyEvidence, ShareIn

router = APIRouter(prefix="/api/v1", tags=["evidence"])
MAX_ID = 2**31 - 1
CaseId = Annotated[int, Path(ge=1, le=MAX_ID)]
ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]
MULTIPART_SLACK = 64 * 1024  # the form's boundaries, headers and description around the file


@dataclass(frozen=True)
class Upload:
    filename: str | None
    data: bytes
    description: str


async def _raw(request: Request, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise policy.too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_upload(request: Request) -> Upload:
    """The file, read on the event loop and bounded: a multipart form's ``file`` (and ``description``), or the
    raw body with ``?filename=`` (and ``?description=``). Over the limit: 413 before the rest is read."""
    limit = get_settings_dep(request).evidence_max_bytes
    multipart = request.headers.get("content-type", "").lower().startswith("multipart/form-data")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + (MULTIPART_SLACK if multipart else 0):
        raise policy.too_large(limit)
    name, description = request.query_params.get("filename"), request.query_params.get("description", "")
    if not multipart:
        return Upload(filename=name, data=await _raw(request, limit), description=description)
    form = await request.form(max_files=1, max_fields=4)
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise InvalidInput("请选择要上传的文件 (the form has no file)", errors=[{"loc": ["body", "file"], "msg": "missing"}])
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise policy.too_large(limit)
    text = form.get("description")
    return Upload(filename=name or file.filename, data=data,
                  description=text if isinstance(text, str) else description)


UploadDep = Annotated[Upload, Depends(read_upload)]


def download(item: EvidenceItem) -> Response:
    """The stored bytes as a download under their stored type: never inline, never sniffed."""
    fallback = f"evidence-{item.id}{policy.EXTENSIONS.get(item.media_type, '')}"
    return Response(item.data, media_type=item.media_type, headers={
        "Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(item.filename)}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store", "X-Evidence-SHA256": item.sha256})


def _mine(item: EvidenceItem) -> MyEvidence:
    return MyEvidence(**item.model_dump(include=set(MyEvidence.model_fields)))


def _read(item: EvidenceItem) -> EvidenceRead:
    return EvidenceRead(**item.model_dump(include=set(EvidenceRead.model_fields)))


# --- the consumer -------------------------------------------------------------------------------------------------


def _my_case(session: SessionDep, proved: selfservice.ProvedPhone, number: str) -> Case:
    selfservice.count_lookup(session, proved=proved)
    case = selfservice.case_of(session, phone=proved.phone, number=number)
    if case is None:
        raise NotFound("没有找到与您的手机号对应的这个案号 (no case of yours has this number)")
    return case


@router.post("/self/cases/{number}/evidence", response_model=MyEvidence, status_code=201,
             summary="Upload a photo (JPEG, PNG) or a PDF: multipart `file`, or the raw body with ?filename=")
def upload_mine(number: str, proved: Consumer, upload: UploadDep, session: SessionDep,
                settings: SettingsDep) -> MyEvidence:
    # proved before upload: who asks is known before the body is read
    case = _my_case(session, proved, number)
    item = service.add(session, settings=settings, case=case, uploaded_by=f"consumer:{mask_phone(proved.phone)}",
                       side="consumer", filename=upload.filename, data=upload.data, description=upload.description)
    return _mine(item)


@router.get("/self/cases/{number}/evidence", response_model=list[MyEvidence])
def list_mine(number: str, session: SessionDep, proved: Consumer) -> list[MyEvidence]:
    return [_mine(i) for i in service.for_consumer(session, case=_my_case(session, proved, number))]


@router.get("/self/cases/{number}/evidence/{item_id}/file")
def download_mine(number: str, item_id: ItemId, session: SessionDep, proved: Consumer) -> Response:
    return download(service.item_of(session, case=_my_case(session, proved, number), item_id=item_id))


# --- the staff and the court --------------------------------------------------------------------------------------


@router.post("/cases/{case_id}/evidence", response_model=EvidenceRead, status_code=201,
             summary="Add evidence to the case (officers and the mediator)")
def upload_for_case(case_id: CaseId, user: CurrentUser, upload: UploadDep, session: SessionDep,
                    settings: SettingsDep) -> EvidenceRead:
    case = get_visible_case_or_404(session, user=user, case_id=case_id)
    if user.role not in policy.UPLOADERS:
        raise Forbidden("只有调解中心工作人员和调解员可以在此添加证据 (only the center's staff and the mediator add "
                        "evidence here)")
    item = service.add(session, settings=settings, case=case, uploaded_by=actor_of(user), side="staff",
                       filename=upload.filename, data=upload.data, description=upload.description)
    return _read(item)


@router.get("/cases/{case_id}/evidence", response_model=list[EvidenceRead])
def list_for_case(case_id: CaseId, session: SessionDep, user: CurrentUser) -> list[EvidenceRead]:
    case = get_visible_case_or_404(session, user=user, case_id=case_id)
    return [_read(i) for i in service.for_staff(session, case=case, user=user)]


def _case_item(session: SessionDep, user: User, case_id: int, item_id: int) -> EvidenceItem:
    case = get_visible_case_or_404(session, user=user, case_id=case_id)
    return service.item_of(session, case=case, item_id=item_id, user=user)


@router.get("/cases/{case_id}/evidence/{item_id}/file")
def download_for_case(case_id: CaseId, item_id: ItemId, session: SessionDep, user: CurrentUser) -> Response:
    return download(_case_item(session, user, case_id, item_id))


@router.patch("/cases/{case_id}/evidence/{item_id}", response_model=EvidenceRead,
              summary="Share an item with the court, or stop sharing it (the center's staff)")
def share(case_id: CaseId, item_id: ItemId, body: ShareIn, session: SessionDep, user: CurrentUser) -> EvidenceRead:
    case = get_visible_case_or_404(session, user=user, case_id=case_id)
    return _read(service.share(session, case=case, item_id=item_id, shared=body.shared_with_court, actor=user))
