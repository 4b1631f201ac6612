"""evidence: a case's evidence items (photos and PDFs, checked by content, with the SHA-256 of what is stored),
uploaded by the consumer or the staff, shared with the court item by item (issue 18)

Revision ID: 0047_case_evidence
Revises: 0046_consumer_applications
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

import mediation_svc.db

revision = '0047_case_evidence'
down_revision = '0046_consumer_applications'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_evidence',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('case_id', sa.Integer(), nullable=False),
                    sa.Column('uploaded_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
                    sa.Column('side', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
                    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
                    sa.Column('media_type', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
                    sa.Column('size', sa.Integer(), nullable=False),
                    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
                    sa.Column('data', sa.LargeBinary(), nullable=False),
                    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
                    sa.Column('shared_with_court', sa.Boolean(), nullable=False),
                    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_case_evidence_case_id', 'case_evidence', ['case_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_case_evidence_case_id', table_name='case_evidence')
    op.drop_table('case_evidence')
