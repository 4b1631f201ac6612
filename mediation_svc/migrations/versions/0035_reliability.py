"""reliability: the readiness probe's row

``/readyz`` commits a one-row write (``readiness_probe.writes + 1``) within a second, so a database that
answers SELECT but cannot take a write (locked, read-only, out of disk) is reported not ready.

Revision ID: 0035_reliability
Revises: 0001_foundation
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0035_reliability'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table('readiness_probe',
                            sa.Column('id', sa.Integer(), nullable=False),
                            sa.Column('writes', sa.BigInteger(), nullable=False, server_default='0'),
                            sa.PrimaryKeyConstraint('id'))
    op.bulk_insert(table, [{"id": 1, "writes": 0}])


def downgrade() -> None:
    op.drop_table('readiness_probe')
