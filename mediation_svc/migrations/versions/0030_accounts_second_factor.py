"""accounts: staff second factor (TOTP, RFC 6238), recovery codes, password change

``users.totp_secret`` (base32, set at enrolment), ``totp_enabled_at`` (set once a first code confirmed it),
``totp_last_step`` (the last time step accepted: a code is good once), ``password_changed_at``.
``recovery_codes``: one-time codes, stored as Argon2 hashes only.

Revision ID: 0030_accounts_second_factor
Revises: 0001_foundation
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

import mediation_svc.db


revision = '0030_accounts_second_factor'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('password_changed_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        'recovery_codes',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False, index=True),
        sa.Column('code_hash', sa.String(length=200), nullable=False),
        sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table('recovery_codes')
    with op.batch_alter_table('users', schema=None) as batch_op:
        for column in ('password_changed_at', 'totp_last_step', 'totp_enabled_at', 'totp_secret'):
            batch_op.drop_column(column)
