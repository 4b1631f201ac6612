"""notifications: confidential outbox messages

``notification_outbox.confidential``: the body carries a secret (a one-time code, a signing link). Such a
body is replaced by a redacted text as soon as the message leaves the queue (sent, failed or withdrawn),
so the codes that are stored hashed elsewhere do not survive in clear in the outbox.

Revision ID: 0015_outbox_confidential
Revises: 0007_scheduling_more
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = '0015_outbox_confidential'
down_revision = '0007_scheduling_more'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notification_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confidential', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('notification_outbox', schema=None) as batch_op:
        batch_op.drop_column('confidential')
