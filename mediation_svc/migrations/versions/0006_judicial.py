"""judicial: applications for confirmation, evidence packages, rulings

Revision ID: 0006_judicial
Revises: 0001_foundation
Create Date: 2026-11-23 11:30:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import mediation_svc.db


revision = '0006_judicial'
down_revision = '0001_foundation'
branch_labels = None
depends_on = ('0005_signing',)


def upgrade() -> None:
    op.create_table('judicial_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('agreement_document_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('application_document_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('signing_request_id', sa.Integer(), nullable=True),
    sa.Column('court_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agreement_document_id'], ['documents.id'], ),
    sa.ForeignKeyConstraint(['application_document_id'], ['documents.id'], ),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['signing_request_id'], ['signing_requests.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('application_document_id')
    )
    with op.batch_alter_table('judicial_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_judicial_applications_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_judicial_applications_status'), ['status'], unique=False)

    op.create_table('judicial_packages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('zip_bytes', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('manifest_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['judicial_applications.id'], ),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('judicial_packages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_judicial_packages_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_judicial_packages_case_id'), ['case_id'], unique=False)

    op.create_table('judicial_rulings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('confirmed', sa.Boolean(), nullable=False),
    sa.Column('ruling_number', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('ruling_date', sa.Date(), nullable=False),
    sa.Column('court_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('recorded_by_user_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['judicial_applications.id'], ),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['recorded_by_user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('application_id')
    )
    with op.batch_alter_table('judicial_rulings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_judicial_rulings_case_id'), ['case_id'], unique=False)


def downgrade() -> None:
    op.drop_table('judicial_rulings')
    op.drop_table('judicial_packages')
    op.drop_table('judicial_applications')
