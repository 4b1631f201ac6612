"""complaints: a complaint's attachment may come from the consumer themself (no user account) (issue 18)

Revision ID: 0049_consumer_attachments
Revises: 0046_consumer_applications
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

revision = '0049_consumer_attachments'
down_revision = '0046_consumer_applications'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('complaint_attachments', schema=None) as batch_op:
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('complaint_attachments', schema=None) as batch_op:
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=False)
