"""judicial: service_address_confirmations, a party's own 送达地址确认书 confirmed online (issue 18)

Revision ID: 0050_service_addresses
Revises: 0049_consumer_attachments
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

import mediation_svc.db

revision = '0050_service_addresses'
down_revision = '0049_consumer_attachments'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('service_address_confirmations',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('case_id', sa.Integer(), nullable=False),
                    sa.Column('party_id', sa.Integer(), nullable=False),
                    sa.Column('details', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
                    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
                    sa.Column('confirmed_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
                    sa.ForeignKeyConstraint(['party_id'], ['case_parties.id']),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_service_address_confirmations_case_id', 'service_address_confirmations', ['case_id'])
    op.create_index('ix_service_address_confirmations_party_id', 'service_address_confirmations', ['party_id'])


def downgrade() -> None:
    op.drop_index('ix_service_address_confirmations_party_id', table_name='service_address_confirmations')
    op.drop_index('ix_service_address_confirmations_case_id', table_name='service_address_confirmations')
    op.drop_table('service_address_confirmations')
