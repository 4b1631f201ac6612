"""The hash chain: appending entries and re-checking the whole log."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import rfc8785
from sqlalchemy import update
from sqlmodel import Session, select

from ..db import utcnow
from .models import GENESIS_HASH, AuditEntry, AuditHead


def canonical_json(value: Any) -> str:
    return rfc8785.dumps(_jsonable(value)).decode("utf-8")


def _jsonable(value: Any) -> Any:
    """Turn Decimals, datetimes and enums into JSON-safe values before canonicalisation."""
    from decimal import Decimal
    from enum import Enum

    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def entry_hash(*, seq: int, at: datetime, actor: str, action: str, subject: str,
               case_id: int | None, payload: str, prev_hash: str) -> str:
    material = {
        "seq": seq,
        "at": at.isoformat(),
        "actor": actor,
        "action": action,
        "subject": subject,
        "case_id": case_id,
        "payload": json.loads(payload),
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(rfc8785.dumps(material)).hexdigest()


def record(session: Session, *, actor: str, action: str, subject: str,
           payload: dict[str, Any] | None = None, case_id: int | None = None) -> AuditEntry:
    """Append an entry in the caller's transaction; it commits or rolls back with the change it records."""
    # The UPDATE takes the row lock on the chain head (PostgreSQL) or the write lock (SQLite), so
    # concurrent writers queue here and each sees the previous entry's hash.
    head_row = session.execute(
        update(AuditHead).where(AuditHead.id == 1)
        .values(last_seq=AuditHead.last_seq + 1)
        .returning(AuditHead.last_seq, AuditHead.last_hash)
    ).one()
    seq, prev_hash = head_row
    at = utcnow()
    payload_text = canonical_json(payload or {})
    digest = entry_hash(seq=seq, at=at, actor=actor, action=action, subject=subject,
                        case_id=case_id, payload=payload_text, prev_hash=prev_hash)
    entry = AuditEntry(seq=seq, at=at, actor=actor, action=action, subject=subject, case_id=case_id,
                       payload=payload_text, prev_hash=prev_hash, hash=digest)
    session.add(entry)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=digest))
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries_checked: int
    first_broken_seq: int | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries_checked": self.entries_checked,
                "first_broken_seq": self.first_broken_seq, "reason": self.reason}


def verify_chain(session: Session, batch_size: int = 5000) -> ChainReport:
    """Recompute every hash in order; name the first entry that does not match."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    last_seq = 0
    while True:
        batch = session.exec(
            select(AuditEntry).where(AuditEntry.seq > last_seq).order_by(AuditEntry.seq).limit(batch_size)
        ).all()
        if not batch:
            break
        for entry in batch:
            if entry.seq != expected_seq:
                return ChainReport(False, checked, expected_seq, f"entry {expected_seq} is missing")
            if entry.prev_hash != expected_prev:
                return ChainReport(False, checked, entry.seq, "previous-hash link does not match")
            recomputed = entry_hash(seq=entry.seq, at=entry.at, actor=entry.actor, action=entry.action,
                                    subject=entry.subject, case_id=entry.case_id, payload=entry.payload,
                                    prev_hash=entry.prev_hash)
            if recomputed != entry.hash:
                return ChainReport(False, checked, entry.seq, "content does not match its hash")
            expected_prev = entry.hash
            expected_seq += 1
            checked += 1
            last_seq = entry.seq
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_seq != checked or head.last_hash != expected_prev):
        return ChainReport(False, checked, checked + 1 if head.last_seq > checked else checked,
                           "chain head does not match the last entry (entries removed from the end?)")
    return ChainReport(True, checked)


def case_trail(session: Session, case_id: int) -> list[AuditEntry]:
    return list(session.exec(select(AuditEntry).where(AuditEntry.case_id == case_id)
                             .order_by(AuditEntry.seq)).all())
