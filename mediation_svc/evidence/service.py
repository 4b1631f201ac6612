"""A case's evidence: add (checked and cleaned by ``policy.clean``, audited with the stored bytes' SHA-256), list
and read by who may see what, share with the court. Keyword-only; adds and flushes, never commits."""

from __future__ import annotations

import hashlib

from sqlmodel import Session, col, select

from ..accounts.models import User
from ..audit.chain import actor_of, record
from ..cases.models import Case
from ..config import Settings
from ..db import id_of
from ..errors import Forbidden, InvalidInput, NotFound
from . import policy
from .models import SIDES, EvidenceItem

MAX_DESCRIPTION = 500


def add(session: Session, *, settings: Settings, case: Case, uploaded_by: str, side: str, filename: str | None,
        data: bytes, description: str = "") -> EvidenceItem:
    """Store one upload as checked: a photo's clean re-encode or a checked PDF; its SHA-256 in the case's audit."""
    if side not in SIDES:
        raise ValueError(f"side {side!r} is not one of {SIDES}")
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(f"说明不能超过 {MAX_DESCRIPTION} 字 (the description is too long)",
                           errors=[{"loc": ["description"], "msg": f"at most {MAX_DESCRIPTION} characters"}])
    cleaned = policy.clean(data, max_bytes=settings.evidence_max_bytes, max_pixels=settings.evidence_max_pixels)
    item = EvidenceItem(case_id=id_of(case), uploaded_by=uploaded_by, side=side,
                        filename=policy.safe_filename(filename, cleaned.media_type, fallback="evidence"),
                        media_type=cleaned.media_type, size=len(cleaned.data),
                        sha256=hashlib.sha256(cleaned.data).hexdigest(), data=cleaned.data,
                        description=description.strip())
    session.add(item)
    session.flush()
    record(session, actor=uploaded_by, action="evidence.added", subject=f"case:{item.case_id}", case_id=item.case_id,
           payload={"evidence_id": id_of(item), "filename": item.filename, "media_type": item.media_type,
                    "size": item.size, "sha256": item.sha256, "side": side,
                    "uploaded_sha256": hashlib.sha256(data).hexdigest(), "uploaded_size": len(data)})
    return item


def _query(case: Case):
    return select(EvidenceItem).where(col(EvidenceItem.case_id) == id_of(case)).order_by(col(EvidenceItem.id))


def for_consumer(session: Session, *, case: Case) -> list[EvidenceItem]:
    """What the consumer side gave (a case the caller proved is theirs)."""
    return list(session.exec(_query(case).where(col(EvidenceItem.side) == "consumer")).all())


def view_or_403(user: User) -> str:
    view = policy.staff_view(user.role)
    if view is None:
        raise Forbidden("案件证据仅供调解中心、调解员和（经共享的）法院查看 (the evidence is for the center, the "
                        "mediator and, when shared, the court)")
    return view


def for_staff(session: Session, *, case: Case, user: User) -> list[EvidenceItem]:
    """Every item for the center and the mediator, the shared ones for the court (a case visible to ``user``)."""
    query = _query(case)
    if view_or_403(user) == policy.SHARED:
        query = query.where(col(EvidenceItem.shared_with_court).is_(True))
    return list(session.exec(query).all())


def item_of(session: Session, *, case: Case, item_id: int, user: User | None = None,
            for_update: bool = False) -> EvidenceItem:
    """One item of ``case``: for ``user`` as ``for_staff`` lets them see it, for the consumer (no user) if it is
    the consumer side's; otherwise 404."""
    query = _query(case).where(col(EvidenceItem.id) == item_id)
    if user is None:
        query = query.where(col(EvidenceItem.side) == "consumer")
    elif view_or_403(user) == policy.SHARED:
        query = query.where(col(EvidenceItem.shared_with_court).is_(True))
    if for_update:
        query = query.with_for_update()
    item = session.exec(query).first()
    if item is None:
        raise NotFound("证据不存在 (no such evidence on this case)")
    return item


def share(session: Session, *, case: Case, item_id: int, shared: bool, actor: User) -> EvidenceItem:
    """Show an item to the court, or stop showing it; the center's staff decide."""
    if actor.role not in policy.SHARERS:
        raise Forbidden("只有调解中心工作人员可以向法院共享证据 (only the center's staff share evidence with the court)")
    item = item_of(session, case=case, item_id=item_id, user=actor, for_update=True)
    if item.shared_with_court != shared:
        item.shared_with_court = shared
        session.add(item)
        session.flush()
        record(session, actor=actor_of(actor), action="evidence.shared" if shared else "evidence.unshared",
               subject=f"case:{item.case_id}", case_id=item.case_id,
               payload={"evidence_id": id_of(item), "filename": item.filename, "sha256": item.sha256})
    return item


def shared_with_court(session: Session, *, case_id: int) -> list[EvidenceItem]:
    """The items the court sees, for the judicial package."""
    return list(session.exec(select(EvidenceItem).where(col(EvidenceItem.case_id) == case_id,
                                                        col(EvidenceItem.shared_with_court).is_(True))
                             .order_by(col(EvidenceItem.id))).all())


def carry_over(session: Session, *, case: Case, uploaded_by: str, filename: str, media_type: str, data: bytes,
               source: str) -> EvidenceItem:
    """Evidence that came with the complaint the case grew from (``source``: the complaint attachment's name in
    the audit), already checked and cleaned by the same rules when it was uploaded: stored as it is, so its
    SHA-256 stays the one the consumer was shown."""
    item = EvidenceItem(case_id=id_of(case), uploaded_by=uploaded_by, side="consumer", filename=filename,
                        media_type=media_type, size=len(data), sha256=hashlib.sha256(data).hexdigest(), data=data,
                        description="随申请提交")
    session.add(item)
    session.flush()
    record(session, actor=uploaded_by, action="evidence.added", subject=f"case:{item.case_id}", case_id=item.case_id,
           payload={"evidence_id": id_of(item), "filename": item.filename, "media_type": item.media_type,
                    "size": item.size, "sha256": item.sha256, "side": "consumer", "from": source})
    return item
