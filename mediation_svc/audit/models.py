"""The audit log as a transparency log: per-subject hash chains, folded into an RFC 6962 Merkle tree.

Each case has its own chain (``case:<id>``: everything recorded about the case, whatever the subject), and
each other subject too (``user:5``, ``institution:3``...). Appending takes the lock of that chain's head row
only, so writers of different cases never wait on each other. ``audit publish`` periodically adds a leaf
per chain that grew (its head: chain, position, entry hash) to the Merkle tree and signs and timestamps
the new tree head; a case's inclusion proof against a timestamped head shows its history existed, as it
is, at that time (docs/operations.md, "The audit log").
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ..db import UTCDateTime

GENESIS_HASH = "0" * 64


class AuditEntry(SQLModel, table=True):
    """One link of a subject's chain, append-only at the database.

    ``hash`` is SHA-256 over the RFC 8785 canonical JSON of the entry (chain, position, content and
    ``prev_hash``, the hash of the chain's previous entry), so editing, removing or reordering an entry
    breaks its chain from that entry on. ``seq`` orders all entries (a database sequence; not gap-free).
    """

    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("uq_audit_log_chain_position", "chain", "chain_seq", unique=True),)

    seq: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    actor: str = Field(max_length=120)
    action: str = Field(max_length=80, index=True)
    subject: str = Field(max_length=120, index=True)
    case_id: int | None = Field(default=None, index=True)
    payload: str  # canonical JSON text, hashed as stored
    chain: str = Field(max_length=120, index=True)
    chain_seq: int
    prev_seq: int | None = None  # the chain's previous entry, so a removed one is named
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class AuditChain(SQLModel, table=True):
    """A chain's head: its length and last hash. Its row lock serialises that chain's writers only."""

    __tablename__ = "audit_chains"

    chain: str = Field(primary_key=True, max_length=120)
    last_seq: int = 0
    last_hash: str = Field(default=GENESIS_HASH, max_length=64)
    last_entry: int | None = None  # audit_log.seq of the last entry


class AuditTreeLeaf(SQLModel, table=True):
    """Leaf ``index`` of the Merkle tree: a chain's head when it was folded in."""

    __tablename__ = "audit_tree_leaves"

    index: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    chain: str = Field(max_length=120, index=True)
    chain_seq: int
    entry_hash: str = Field(max_length=64)
    leaf_hash: str = Field(max_length=64)


class AuditTreeHead(SQLModel, table=True):
    """A signed tree head (RFC 9162 §4.10 in spirit): size and root, a JWS by the center's report key, and
    an RFC 3161 token over that JWS from the center's TSA."""

    __tablename__ = "audit_tree_heads"

    tree_size: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    root_hash: str = Field(max_length=64)
    issued_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # JSON list of hex subtree roots (merkle.Frontier), so the next fold reads only new leaves
    frontier: str = Field(sa_type=sa.Text)
    signed_head: str = Field(sa_type=sa.Text)  # compact JWS over canonical JSON {log, tree_size, root_hash, issued_at}
    timestamp_token: bytes = Field(sa_type=sa.LargeBinary)  # DER ContentInfo (RFC 3161 TimeStampToken)
