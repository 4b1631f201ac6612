"""signing flow: how each signer signs, OTP resend throttling, single-use link and signer session

Revision ID: 0008_signing_flow
Revises: 0005_signing
Create Date: 2026-11-23 11:10:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import mediation_svc.db


revision = '0008_signing_flow'
down_revision = '0005_signing'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('signing_participants', schema=None) as batch_op:
        # remote (link + OTP), onsite (a mediator's tablet at the center), external (own certificate, CMS)
        batch_op.add_column(sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False,
                                      server_default='remote'))
        batch_op.add_column(sa.Column('otp_sent_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('otp_sends', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('link_used_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('session_jti', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('onsite_host_user_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_signing_participants_onsite_host', 'users', ['onsite_host_user_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('signing_participants', schema=None) as batch_op:
        batch_op.drop_constraint('fk_signing_participants_onsite_host', type_='foreignkey')
        batch_op.drop_column('onsite_host_user_id')
        batch_op.drop_column('session_jti')
        batch_op.drop_column('link_used_at')
        batch_op.drop_column('otp_sends')
        batch_op.drop_column('otp_sent_at')
        batch_op.drop_column('mode')
