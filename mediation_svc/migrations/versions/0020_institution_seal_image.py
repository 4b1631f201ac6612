"""signing: an institution's own seal image, filed with its representative's 授权委托书

``signing_participants.institution_seal_png`` (re-encoded PNG, bounded) and its SHA-256: drawn beside the
representative's signature in the institution's block once an officer has checked the letter and the image.

Revision ID: 0020_institution_seal_image
Revises: 0001_foundation
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0020_institution_seal_image'
down_revision = '0001_foundation'
branch_labels = None
depends_on = ('0008_signing_flow',)


def upgrade() -> None:
    with op.batch_alter_table('signing_participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('institution_seal_png', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('institution_seal_sha256', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('signing_participants', schema=None) as batch_op:
        batch_op.drop_column('institution_seal_sha256')
        batch_op.drop_column('institution_seal_png')
