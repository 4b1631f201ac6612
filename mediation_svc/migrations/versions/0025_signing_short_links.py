"""signing: short links (signing_links, codes stored hashed), when a link was first opened, the signer's browser-held key

Revision ID: 0025_signing_short_links
Revises: 0001_foundation
Create Date: 2026-12-01 20:30:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import mediation_svc.db


revision = '0025_signing_short_links'
down_revision = '0001_foundation'
branch_labels = None
depends_on = ('0008_signing_flow',)


def upgrade() -> None:
    op.create_table(
        'signing_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('replaced_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['participant_id'], ['signing_participants.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code_hash'),
    )
    op.create_index('ix_signing_links_participant_id', 'signing_links', ['participant_id'])
    with op.batch_alter_table('signing_participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_opened_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('key_origin', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True))
        batch_op.add_column(sa.Column('public_key_der', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('prepared_attrs', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('prepared_cert_der', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('prepared_evidence', sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('signing_participants', schema=None) as batch_op:
        for column in ('prepared_evidence', 'prepared_cert_der', 'prepared_attrs', 'public_key_der', 'key_origin',
                       'link_opened_at'):
            batch_op.drop_column(column)
    op.drop_index('ix_signing_links_participant_id', table_name='signing_links')
    op.drop_table('signing_links')
