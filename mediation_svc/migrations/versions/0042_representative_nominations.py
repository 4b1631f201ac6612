"""representative_nominations: the person an institution account names to sign for its institution on a case.

Revision ID: 0042_representative_nominations
Revises: 0041_complaints
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import mediation_svc.db


revision = '0042_representative_nominations'
down_revision = '0041_complaints'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('representative_nominations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('nominated_by_user_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('id_number', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], ),
    sa.ForeignKeyConstraint(['nominated_by_user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('representative_nominations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_representative_nominations_case_id'), ['case_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('representative_nominations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_representative_nominations_case_id'))
    op.drop_table('representative_nominations')
