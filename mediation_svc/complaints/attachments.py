"""Attachments to a complaint, bounded: size, type (PDF, PNG, JPEG, checked by content not by name) and, for
images, pixels (a decompression bomb is refused before it is decoded)."""

from __future__ import annotations

import hashlib
import io
import re

from sqlmodel import Session, col, select

from ..accounts.models import User
from ..audit.chain import actor_of, record
from ..config import Settings
from ..db import id_of
from ..errors import InvalidInput, NotFound, PayloadTooLarge
from .models import Attachment, Contact

SIGNATURES = {"application/pdf": (b"%PDF-",), "image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",)}


class UnsupportedType(InvalidInput):
    status, slug, title = 415, "unsupported-media-type", "Only PDF, PNG and JPEG files are accepted"


def media_type_of(data: bytes) -> str | None:
    return next((kind for kind, heads in SIGNATURES.items() if any(data.startswith(h) for h in heads)), None)


def _check_pixels(data: bytes, max_pixels: int) -> None:
    from PIL import Image  # noqa: PLC0415

    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            width, height = image.size
    except Exception as exc:  # noqa: BLE001 - any decoder complaint means "not a usable image"
        raise UnsupportedType("图片无法读取 (the image cannot be read)") from exc
    if width * height > max_pixels:
        raise PayloadTooLarge(f"图片过大：{width}×{height} 像素 (the image is {width}×{height} pixels; at most {max_pixels:,} are accepted)")


def safe_filename(name: str | None, media_type: str) -> str:
    extension = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}[media_type]
    stem = re.sub(r"[^\w\u4e00-\u9fff.-]+", "_", (name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1])[:80].strip("._")
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    return (stem or "attachment") + extension


def add(session: Session, settings: Settings, *, contact: Contact, actor: User, side: str, filename: str | None,
        data: bytes) -> Attachment:
    if len(data) > settings.complaint_attachment_max_bytes:
        raise PayloadTooLarge(f"附件不能超过 {settings.complaint_attachment_max_bytes // (1024 * 1024)} MB (an attachment is at most that)")
    if not data:
        raise InvalidInput("文件为空 (the file is empty)", errors=[{"loc": ["body"], "msg": "empty"}])
    media_type = media_type_of(data)
    if media_type is None:
        raise UnsupportedType("只接受 PDF、PNG 或 JPEG 文件 (only PDF, PNG and JPEG files are accepted)")
    if media_type.startswith("image/"):
        _check_pixels(data, settings.complaint_attachment_max_pixels)
    attachment = Attachment(contact_id=id_of(contact), side=side, user_id=id_of(actor),
                            filename=safe_filename(filename, media_type),
                            media_type=media_type, size=len(data), sha256=hashlib.sha256(data).hexdigest(), data=data)
    session.add(attachment)
    session.flush()
    record(session, actor=actor_of(actor), action="complaint.attachment_added",
           subject=f"complaint:{contact.id}", payload={"attachment_id": attachment.id, "filename": attachment.filename,
                                                       "size": attachment.size, "sha256": attachment.sha256})
    return attachment


def list_for(session: Session, contact: Contact) -> list[Attachment]:
    return list(session.exec(select(Attachment).where(col(Attachment.contact_id) == contact.id)
                             .order_by(col(Attachment.id))).all())


def get_or_404(session: Session, *, contact: Contact, attachment_id: int) -> Attachment:
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.contact_id != contact.id:
        raise NotFound("附件不存在 (attachment not found)")
    return attachment


def download_response(attachment: Attachment):
    """The file as a download: never rendered inline, its stored type only, a neutral name."""
    from fastapi.responses import Response  # noqa: PLC0415

    extension = attachment.filename[attachment.filename.rfind("."):]
    return Response(attachment.data, media_type=attachment.media_type, headers={
        "Content-Disposition": f'attachment; filename="attachment-{attachment.id}{extension}"',
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})
