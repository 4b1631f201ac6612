"""The hash chain: appending entries and re-checking the whole log."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import rfc8785
from sqlalchemy import event, update
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


PENDING = "audit_pending"


def record(session: Session, *, actor: str, action: str, subject: str,
           payload: dict[str, Any] | None = None, case_id: int | None = None) -> AuditEntry:
    """Record an entry in the caller's transaction; it commits or rolls back with the change it records.

    The entry is appended to its chain when the transaction commits, not here: the chain's lock is then
    the last lock every transaction takes (the lock order in docs/operations.md), held for the commit only,
    so no transaction waits on a chain while holding it and locking something else (issue 16's deadlocks).
    An entry recorded inside a savepoint that rolls back is dropped with it.
    """
    entry = AuditEntry(at=utcnow(), actor=actor, action=action, subject=subject, case_id=case_id,
                       payload=canonical_json(payload or {}), prev_hash="", hash="")
    owner = session.get_nested_transaction() or session.get_transaction() or session.begin()
    session.info.setdefault(PENDING, []).append((owner, entry))
    return entry


def flush_pending(session: Session) -> None:
    """Append this transaction's recorded entries now (before reading the log back inside it)."""
    pending = session.info.pop(PENDING, [])
    if pending:
        _append(session, [entry for _owner, entry in pending])


def _append(session: Session, entries: list[AuditEntry]) -> None:
    # The UPDATE takes the row lock on the chain head (PostgreSQL) or the write lock (SQLite), so
    # concurrent writers queue here and each sees the previous entry's hash.
    for entry in entries:
        seq, prev_hash = session.execute(
            update(AuditHead).where(AuditHead.id == 1)
            .values(last_seq=AuditHead.last_seq + 1)
            .returning(AuditHead.last_seq, AuditHead.last_hash)
        ).one()
        entry.seq, entry.prev_hash = seq, prev_hash
        entry.hash = entry_hash(seq=seq, at=entry.at, actor=entry.actor, action=entry.action,
                                subject=entry.subject, case_id=entry.case_id, payload=entry.payload,
                                prev_hash=prev_hash)
        session.add(entry)
        session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=entry.hash))
    session.flush()


def _ancestors(transaction):
    while transaction is not None:
        yield transaction
        transaction = transaction.parent


@event.listens_for(Session, "before_commit")
def _append_on_commit(session: Session) -> None:
    flush_pending(session)


@event.listens_for(Session, "do_orm_execute")
def _append_before_reading_the_log(state) -> None:
    # A transaction that reads the log back sees its own entries, as it would had they been written at once.
    if state.is_select and state.session.info.get(PENDING) and any(
            mapper.class_ is AuditEntry for mapper in state.all_mappers):
        flush_pending(state.session)


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction) -> None:
    pending = session.info.get(PENDING)
    if pending:
        session.info[PENDING] = [(owner, entry) for owner, entry in pending
                                 if previous_transaction not in _ancestors(owner)]


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
