"""scheduling: participants' language, outbox expiry, issued session notices

- ``session_participants.language``: the language of the texts a participant receives (zh-CN or en).
- ``notification_outbox.expires_at``: a reminder that could not be sent before the session started is
  withdrawn instead of arriving late.
- ``session_notices``: the session notice (调解通知书) issued for a session's arrangement (its SEQUENCE)
  and one recipient, stored as a finalised document so that its printed verification code resolves.

Revision ID: 0007_scheduling_more
Revises: 0003_scheduling
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import mediation_svc.db


revision = '0007_scheduling_more'
down_revision = '0003_scheduling'
branch_labels = None
depends_on = '0004_documents'


def upgrade() -> None:
    with op.batch_alter_table('session_participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False,
                                      server_default='zh-CN'))
    with op.batch_alter_table('notification_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True))
    op.create_table('session_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('document_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['mediation_sessions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('session_id', 'sequence', 'recipient', name='uq_session_notices_issue')
    )


def downgrade() -> None:
    op.drop_table('session_notices')
    with op.batch_alter_table('notification_outbox', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
    with op.batch_alter_table('session_participants', schema=None) as batch_op:
        batch_op.drop_column('language')
