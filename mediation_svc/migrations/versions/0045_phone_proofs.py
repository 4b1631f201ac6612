"""selfservice: phone_proofs, a consumer's phone proved by a one-time SMS code (issue 18)

Revision ID: 0045_phone_proofs
Revises: 0001_foundation
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

import mediation_svc.db

revision = '0045_phone_proofs'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('phone_proofs',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
                    sa.Column('code_mac', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
                    sa.Column('sent_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
                    sa.Column('expires_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
                    sa.Column('proved_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
                    sa.Column('revoked_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_phone_proofs_phone', 'phone_proofs', ['phone'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_phone_proofs_phone', table_name='phone_proofs')
    op.drop_table('phone_proofs')
