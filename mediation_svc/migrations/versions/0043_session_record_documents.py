"""session_records.document_id: the session record (调解笔录) as a PDF that the parties and the mediator sign.

Revision ID: 0043_session_record_documents
Revises: 0042_representative_nominations
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0043_session_record_documents'
down_revision = '0042_representative_nominations'
branch_labels = None
depends_on = ('0003_scheduling', '0009_documents_more')  # the table it changes, the table it refers to


def upgrade() -> None:
    with op.batch_alter_table('session_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))
        batch_op.create_foreign_key('fk_session_records_document', 'documents', ['document_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('session_records', schema=None) as batch_op:
        batch_op.drop_constraint('fk_session_records_document', type_='foreignkey')
        batch_op.drop_column('document_id')
