"""audit: per-subject hash chains and the Merkle tree of their heads (issue 16)

The single chain through ``audit_head`` serialised every write of every worker. Each entry now belongs to a
chain (its case's, ``case:<id>``, or its subject's) with its position, the previous entry of that chain and
that entry's hash; ``audit_chains`` holds each chain's head; ``audit_tree_leaves`` and ``audit_tree_heads``
hold the RFC 6962 Merkle tree that ``audit publish`` grows and signs.

Existing entries are migrated: the old global chain is verified first (the upgrade stops, naming the entry,
if it is broken: an operator must look before anything is rehashed), then every entry is rehashed into its
chain in its original order. ``audit_head`` goes.

Revision ID: 0036_audit_chains
Revises: 0001_foundation
Create Date: 2026-12-01
"""
import hashlib
import json
from datetime import timezone

import rfc8785
import sqlalchemy as sa
from alembic import op

revision = '0036_audit_chains'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def _utc(value):
    if isinstance(value, str):
        from datetime import datetime
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _digest(material: dict) -> str:
    return hashlib.sha256(rfc8785.dumps(material)).hexdigest()


def _triggers(enable: bool) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE audit_log {'ENABLE' if enable else 'DISABLE'} TRIGGER USER")
    elif enable:
        op.execute("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                   "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;")
        op.execute("CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
                   "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table('audit_chains',
                    sa.Column('chain', sa.String(length=120), nullable=False),
                    sa.Column('last_seq', sa.Integer(), nullable=False),
                    sa.Column('last_hash', sa.String(length=64), nullable=False),
                    sa.Column('last_entry', sa.Integer(), nullable=True),
                    sa.PrimaryKeyConstraint('chain'))
    op.create_table('audit_tree_leaves',
                    sa.Column('index', sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column('chain', sa.String(length=120), nullable=False),
                    sa.Column('chain_seq', sa.Integer(), nullable=False),
                    sa.Column('entry_hash', sa.String(length=64), nullable=False),
                    sa.Column('leaf_hash', sa.String(length=64), nullable=False),
                    sa.PrimaryKeyConstraint('index'))
    op.create_index('ix_audit_tree_leaves_chain', 'audit_tree_leaves', ['chain'])
    op.create_table('audit_tree_heads',
                    sa.Column('tree_size', sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column('root_hash', sa.String(length=64), nullable=False),
                    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('frontier', sa.Text(), nullable=False),
                    sa.Column('signed_head', sa.Text(), nullable=False),
                    sa.Column('timestamp_token', sa.LargeBinary(), nullable=False),
                    sa.PrimaryKeyConstraint('tree_size'))
    op.add_column('audit_log', sa.Column('chain', sa.String(length=120), nullable=True))
    op.add_column('audit_log', sa.Column('chain_seq', sa.Integer(), nullable=True))
    op.add_column('audit_log', sa.Column('prev_seq', sa.Integer(), nullable=True))

    _triggers(enable=False)
    rows = bind.execute(sa.text("SELECT seq, at, actor, action, subject, case_id, payload, prev_hash, hash "
                                "FROM audit_log ORDER BY seq")).mappings().all()
    previous, heads = GENESIS, {}
    for expected_seq, row in enumerate(rows, start=1):
        old = {"seq": row["seq"], "at": _utc(row["at"]).isoformat(), "actor": row["actor"], "action": row["action"],
               "subject": row["subject"], "case_id": row["case_id"], "payload": json.loads(row["payload"]),
               "prev_hash": row["prev_hash"]}
        if row["seq"] != expected_seq or row["prev_hash"] != previous or _digest(old) != row["hash"]:
            raise RuntimeError(f"audit log entry {expected_seq} does not verify: run `mediation-svc audit verify` "
                               "on the old version and investigate before upgrading")
        previous = row["hash"]
        chain = f"case:{row['case_id']}" if row["case_id"] is not None else row["subject"]
        position, prev_hash, prev_seq = heads.get(chain, (0, GENESIS, None))
        new = {"chain": chain, "chain_seq": position + 1, "prev_seq": prev_seq, "at": old["at"],
               "actor": row["actor"], "action": row["action"], "subject": row["subject"],
               "case_id": row["case_id"], "payload": old["payload"], "prev_hash": prev_hash}
        digest = _digest(new)
        bind.execute(sa.text("UPDATE audit_log SET chain = :chain, chain_seq = :pos, prev_seq = :prev_seq, "
                             "prev_hash = :prev_hash, hash = :hash WHERE seq = :seq"),
                     {"chain": chain, "pos": position + 1, "prev_seq": prev_seq, "prev_hash": prev_hash,
                      "hash": digest, "seq": row["seq"]})
        heads[chain] = (position + 1, digest, row["seq"])
    for chain, (position, digest, seq) in heads.items():
        bind.execute(sa.text("INSERT INTO audit_chains (chain, last_seq, last_hash, last_entry) "
                             "VALUES (:c, :p, :h, :s)"), {"c": chain, "p": position, "h": digest, "s": seq})
    _triggers(enable=True)

    op.create_index('ix_audit_log_chain', 'audit_log', ['chain'])
    op.create_index('uq_audit_log_chain_position', 'audit_log', ['chain', 'chain_seq'], unique=True)
    if bind.dialect.name == "postgresql":
        op.alter_column('audit_log', 'chain', nullable=False)
        op.alter_column('audit_log', 'chain_seq', nullable=False)
        # Entries are numbered by a sequence now (there is no single head row to count them).
        if bind.execute(sa.text("SELECT pg_get_serial_sequence('audit_log', 'seq')")).scalar() is None:
            op.execute("CREATE SEQUENCE audit_log_seq_seq OWNED BY audit_log.seq")
            op.execute("ALTER TABLE audit_log ALTER COLUMN seq SET DEFAULT nextval('audit_log_seq_seq')")
        op.execute("SELECT setval(pg_get_serial_sequence('audit_log', 'seq'), "
                   "COALESCE((SELECT max(seq) FROM audit_log), 0) + 1, false)")
    op.drop_table('audit_head')


def downgrade() -> None:
    raise NotImplementedError("the per-subject chains cannot be folded back into one chain without rehashing")
