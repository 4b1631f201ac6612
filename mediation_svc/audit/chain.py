"""The per-subject hash chains: recording entries, appending them at commit, re-checking every chain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import rfc8785
from sqlalchemy import event, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from ..db import utcnow
from .models import GENESIS_HASH, AuditChain, AuditEntry


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


def chain_of(subject: str, case_id: int | None) -> str:
    """The chain an entry belongs to: its case's, or else its subject's own."""
    return f"case:{case_id}" if case_id is not None else subject


def entry_hash(*, chain: str, chain_seq: int, prev_seq: int | None, at: datetime, actor: str, action: str,
               subject: str, case_id: int | None, payload: str, prev_hash: str) -> str:
    material = {
        "chain": chain,
        "chain_seq": chain_seq,
        "prev_seq": prev_seq,
        "at": at.isoformat(),
        "actor": actor,
        "action": action,
        "subject": subject,
        "case_id": case_id,
        "payload": json.loads(payload),
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(rfc8785.dumps(material)).hexdigest()


def hash_of(entry: AuditEntry) -> str:
    return entry_hash(chain=entry.chain, chain_seq=entry.chain_seq, prev_seq=entry.prev_seq, at=entry.at,
                      actor=entry.actor, action=entry.action, subject=entry.subject, case_id=entry.case_id,
                      payload=entry.payload, prev_hash=entry.prev_hash)


PENDING = "audit_pending"


def actor_of(user) -> str:
    """How the audit log names a person who acted: ``user:<id>:<username>``, spelled here only."""
    return f"user:{user.id}:{user.username}"


def record(session: Session, *, actor: str, action: str, subject: str,
           payload: dict[str, Any] | None = None, case_id: int | None = None) -> AuditEntry:
    """Record an entry in the caller's transaction; it commits or rolls back with the change it records.

    The entry is appended to its chain when the transaction commits, not here: the chain's lock is then
    the last lock every transaction takes (the lock order in docs/operations.md), held for the commit only,
    so no transaction waits on a chain while holding it and locking something else (issue 16's deadlocks).
    An entry recorded inside a savepoint that rolls back is dropped with it.
    """
    entry = AuditEntry(at=utcnow(), actor=actor, action=action, subject=subject, case_id=case_id,
                       payload=canonical_json(payload or {}), chain=chain_of(subject, case_id), chain_seq=0,
                       prev_hash="", hash="")
    owner = session.get_nested_transaction() or session.get_transaction() or session.begin()
    session.info.setdefault(PENDING, []).append((owner, entry))
    return entry


def flush_pending(session: Session) -> None:
    """Append this transaction's recorded entries now (before reading the log back inside it)."""
    pending = session.info.pop(PENDING, [])
    if pending:
        _append(session, [entry for _owner, entry in pending])


def _append(session: Session, entries: list[AuditEntry]) -> None:
    """Append to each chain under its head row's lock, chains in name order (the lock order)."""
    chains: dict[str, list[AuditEntry]] = {}
    for entry in entries:
        chains.setdefault(entry.chain, []).append(entry)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for chain in sorted(chains):
        batch = chains[chain]
        session.execute(insert(AuditChain).values(chain=chain, last_seq=0, last_hash=GENESIS_HASH)
                        .on_conflict_do_nothing(index_elements=["chain"]))
        # The UPDATE locks this chain's head until commit; writers of other chains do not wait.
        last_seq, prev_hash, prev_seq = session.execute(
            update(AuditChain).where(col(AuditChain.chain) == chain)
            .values(last_seq=col(AuditChain.last_seq) + len(batch))
            .returning(col(AuditChain.last_seq), col(AuditChain.last_hash), col(AuditChain.last_entry))
        ).one()
        position = last_seq - len(batch)
        for entry in batch:
            position += 1
            entry.chain_seq, entry.prev_seq, entry.prev_hash = position, prev_seq, prev_hash
            entry.hash = hash_of(entry)
            session.add(entry)
            session.flush()
            prev_hash, prev_seq = entry.hash, entry.seq
        session.execute(update(AuditChain).where(col(AuditChain.chain) == chain)
                        .values(last_hash=prev_hash, last_entry=prev_seq))


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
    """Recompute every chain in order and compare each with its head; name the first entry that fails."""
    heads: dict[str, tuple[int, str, int | None]] = {}  # chain -> (position, hash, seq) of its last entry
    checked = 0
    last_seq = 0
    while True:
        batch = session.exec(
            select(AuditEntry).where(col(AuditEntry.seq) > last_seq)
            .order_by(col(AuditEntry.seq)).limit(batch_size)
        ).all()
        if not batch:
            break
        for entry in batch:
            if entry.seq is None:  # read from the table, so its primary key is set
                raise RuntimeError(f"audit entry of chain {entry.chain} read without its seq")
            position, expected_prev, previous_seq = heads.get(entry.chain, (0, GENESIS_HASH, None))
            if entry.chain_seq != position + 1 or entry.prev_seq != previous_seq:
                if entry.chain_seq > position + 1 and entry.prev_seq is not None:
                    return ChainReport(False, checked, entry.prev_seq,
                                       f"entry {entry.prev_seq} ({entry.chain} #{position + 1}) is missing")
                return ChainReport(False, checked, entry.seq, f"out of place in chain {entry.chain}")
            if entry.prev_hash != expected_prev:
                return ChainReport(False, checked, entry.seq, "previous-hash link does not match")
            if hash_of(entry) != entry.hash:
                return ChainReport(False, checked, entry.seq, "content does not match its hash")
            heads[entry.chain] = (entry.chain_seq, entry.hash, entry.seq)
            checked += 1
            last_seq = entry.seq
    for head in session.exec(select(AuditChain).order_by(col(AuditChain.chain))).all():
        position, digest, seq = heads.pop(head.chain, (0, GENESIS_HASH, None))
        if (head.last_seq, head.last_hash) != (position, digest):
            broken = head.last_entry if head.last_seq > position else seq
            return ChainReport(False, checked, broken,
                               f"chain {head.chain} ends at #{position} but its head says #{head.last_seq} "
                               "(entries removed from the end, or the head changed)")
    if heads:
        chain = min(heads)
        return ChainReport(False, checked, heads[chain][2], f"chain {chain} has no head row")
    return ChainReport(True, checked)


def case_trail(session: Session, case_id: int) -> list[AuditEntry]:
    """The case's chain, in order."""
    return list(session.exec(select(AuditEntry).where(col(AuditEntry.chain) == chain_of("", case_id))
                             .order_by(col(AuditEntry.chain_seq))).all())
