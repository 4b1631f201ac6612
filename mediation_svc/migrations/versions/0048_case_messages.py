"""cases: case_messages, the thread between a consumer and the center on a case (issue 18)

Revision ID: 0048_case_messages
Revises: 0001_foundation
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

import mediation_svc.db

revision = '0048_case_messages'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_messages',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('case_id', sa.Integer(), nullable=False),
                    sa.Column('side', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
                    sa.Column('author', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
                    sa.Column('user_id', sa.Integer(), nullable=True),
                    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
                    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
                    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
                    sa.ForeignKeyConstraint(['user_id'], ['users.id']),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_case_messages_case_id', 'case_messages', ['case_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_case_messages_case_id', table_name='case_messages')
    op.drop_table('case_messages')
