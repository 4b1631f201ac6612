"""Attachments to a complaint, bounded: size, type (PDF, PNG, JPEG, checked by content not by name) and, for
images, pixels (a decompression bomb is refused before it is decoded); the checks are evidence.policy's."""

from __future__ import annotations

import hashlib

from sqlmodel import Session, col, select

from ..accounts.models import User
from ..audit.chain import actor_of, record
from ..config import Settings
from ..db import id_of
from ..errors import NotFound
from ..evidence.policy import check_pixels, clean, require_size, require_type, safe_filename
from .models import Attachment, Contact

__all__ = ["add", "download_response", "get_or_404", "list_for", "safe_filename"]


def add(session: Session, settings: Settings, *, contact: Contact, actor: User, side: str, filename: str | None,
        data: bytes) -> Attachment:
    require_size(data, settings.complaint_attachment_max_bytes)
    media_type = require_type(data)
    if media_type.startswith("image/"):
        check_pixels(data, settings.complaint_attachment_max_pixels)
    attachment = Attachment(contact_id=id_of(contact), side=side, user_id=id_of(actor),
                            filename=safe_filename(filename, media_type),
                            media_type=media_type, size=len(data), sha256=hashlib.sha256(data).hexdigest(), data=data)
    session.add(attachment)
    session.flush()
    record(session, actor=actor_of(actor), action="complaint.attachment_added",
           subject=f"complaint:{contact.id}", payload={"attachment_id": attachment.id, "filename": attachment.filename,
                                                       "size": attachment.size, "sha256": attachment.sha256})
    return attachment


def add_from_consumer(session: Session, settings: Settings, *, contact: Contact, actor: str, filename: str | None,
                      data: bytes) -> Attachment:
    """The consumer's own evidence for their complaint (from /my): checked and cleaned as a case's evidence is
    (``evidence.policy.clean``: images re-encoded without metadata, PDFs parsed and never rendered)."""
    cleaned = clean(data, max_bytes=settings.evidence_max_bytes, max_pixels=settings.evidence_max_pixels)
    attachment = Attachment(contact_id=id_of(contact), side="consumer", user_id=None,
                            filename=safe_filename(filename, cleaned.media_type), media_type=cleaned.media_type,
                            size=len(cleaned.data), sha256=hashlib.sha256(cleaned.data).hexdigest(), data=cleaned.data)
    session.add(attachment)
    session.flush()
    record(session, actor=actor, action="complaint.attachment_added", subject=f"complaint:{contact.id}",
           payload={"attachment_id": attachment.id, "filename": attachment.filename, "size": attachment.size,
                    "sha256": attachment.sha256, "side": "consumer", "uploaded_sha256": hashlib.sha256(data).hexdigest()})
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
