"""selfservice: a consumer's own application (contacts filed by the consumer, their language and needs) and the
PIPL consent given with it (issue 18)

Revision ID: 0046_consumer_applications
Revises: 0045_phone_proofs
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

import mediation_svc.db

revision = '0046_consumer_applications'
down_revision = '0045_phone_proofs'
branch_labels = None
depends_on = '0041_complaints'  # contacts exist

FLAGS = ('filed_by_consumer', 'wants_mediation', 'needs_elderly_support', 'needs_interpreter')


def upgrade() -> None:
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        for name in FLAGS:
            batch_op.add_column(sa.Column(name, sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('preferred_language', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
    op.create_table('consents',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('phone_proof_id', sa.Integer(), nullable=False),
                    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
                    sa.Column('text_version', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
                    sa.Column('text_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
                    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
                    sa.Column('given_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
                    sa.Column('client', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
                    sa.Column('contact_id', sa.Integer(), nullable=True),
                    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id']),
                    sa.ForeignKeyConstraint(['phone_proof_id'], ['phone_proofs.id']),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_consents_phone_proof_id', 'consents', ['phone_proof_id'], unique=False)
    op.create_index('ix_consents_contact_id', 'consents', ['contact_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_consents_contact_id', table_name='consents')
    op.drop_index('ix_consents_phone_proof_id', table_name='consents')
    op.drop_table('consents')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('preferred_language')
        for name in reversed(FLAGS):
            batch_op.drop_column(name)
