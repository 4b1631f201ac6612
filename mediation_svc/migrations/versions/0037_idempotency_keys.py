"""reliability: Idempotency-Key answers for creating calls (POST /api/v1/cases, signing requests)

Revision ID: 0037_idempotency_keys
Revises: 0001_foundation
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

import mediation_svc.db

revision = '0037_idempotency_keys'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('idempotency_keys',
                    sa.Column('owner', sa.String(length=120), nullable=False),
                    sa.Column('key', sa.String(length=200), nullable=False),
                    sa.Column('request', sa.String(length=300), nullable=False),
                    sa.Column('fingerprint', sa.String(length=64), nullable=False),
                    sa.Column('status_code', sa.Integer(), nullable=True),
                    sa.Column('response_json', sa.Text(), nullable=True),
                    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint('owner', 'key'))


def downgrade() -> None:
    op.drop_table('idempotency_keys')
