"""complaints: contacts (咨询/投诉), forwarding (转办) to institutions, answers, extensions, conversation,
attachments, the consumer's accept-or-refuse link, and institution accounts (role ``institution``).

Revision ID: 0041_complaints
Revises: 0001_foundation
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import mediation_svc.db


revision = '0041_complaints'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('institution_accounts',
    sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('branch', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('user_id')
    )
    with op.batch_alter_table('institution_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_institution_accounts_institution_id'), ['institution_id'], unique=False)

    op.create_table('contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('received_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('consumer_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('consumer_phone', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('consumer_id_number', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('representative_name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('contact_phone', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('contact_address', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('refund_account', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('topic', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('answer', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=True),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('institution_branch', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('category_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('facts', sqlmodel.sql.sqltypes.AutoString(length=20000), nullable=True),
    sa.Column('request', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=True),
    sa.Column('amount', mediation_svc.db.Money(), nullable=True),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('urgent_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('urgent_due_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_response_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('forwarded_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('forwarded_on', sa.Date(), nullable=True),
    sa.Column('limit_days', sa.Integer(), nullable=True),
    sa.Column('deadline_on', sa.Date(), nullable=True),
    sa.Column('answered_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('settled_amount', mediation_svc.db.Money(), nullable=True),
    sa.Column('outcome_text', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=True),
    sa.Column('consumer_accepted', sa.Boolean(), nullable=True),
    sa.Column('consumer_comment', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('closed_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status_reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('risk_flags', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['category_code'], ['case_categories.code'], ),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index('ix_contacts_board', ['status', 'deadline_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_closed_at'), ['closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_contact_phone'), ['contact_phone'], unique=False)
        batch_op.create_index('ix_contacts_institution', ['institution_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_refund_account'), ['refund_account'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_status'), ['status'], unique=False)

    open_sql = sa.text("status IN ('forwarded', 'answered', 'not_accepted', 'mediation_offered')")
    op.create_index('ix_contacts_open_deadline', 'contacts', ['deadline_on', 'id'], postgresql_where=open_sql,
                    sqlite_where=open_sql)
    urgent_sql = sa.text("urgent IS TRUE AND first_response_at IS NULL")
    op.create_index('ix_contacts_urgent_open', 'contacts', ['urgent_due_at', 'id'], postgresql_where=urgent_sql,
                    sqlite_where=urgent_sql)
    op.create_table('complaint_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('side', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('media_type', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('complaint_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_attachments_contact_id'), ['contact_id'], unique=False)

    op.create_table('complaint_consumer_links',
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('expires_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ),
    sa.PrimaryKeyConstraint('token_hash')
    )
    with op.batch_alter_table('complaint_consumer_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_consumer_links_contact_id'), ['contact_id'], unique=False)

    op.create_table('complaint_extensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('approved_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('deadline_before', sa.Date(), nullable=False),
    sa.Column('deadline_after', sa.Date(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('complaint_extensions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_extensions_contact_id'), ['contact_id'], unique=False)

    op.create_table('complaint_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('side', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('complaint_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_messages_contact_id'), ['contact_id'], unique=False)



def downgrade() -> None:
    op.drop_index('ix_contacts_urgent_open', table_name='contacts')
    op.drop_index('ix_contacts_open_deadline', table_name='contacts')
    with op.batch_alter_table('complaint_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_messages_contact_id'))

    op.drop_table('complaint_messages')
    with op.batch_alter_table('complaint_extensions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_extensions_contact_id'))

    op.drop_table('complaint_extensions')
    with op.batch_alter_table('complaint_consumer_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_consumer_links_contact_id'))

    op.drop_table('complaint_consumer_links')
    with op.batch_alter_table('complaint_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_attachments_contact_id'))

    op.drop_table('complaint_attachments')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_status'))
        batch_op.drop_index(batch_op.f('ix_contacts_refund_account'))
        batch_op.drop_index(batch_op.f('ix_contacts_received_at'))
        batch_op.drop_index('ix_contacts_institution')
        batch_op.drop_index(batch_op.f('ix_contacts_contact_phone'))
        batch_op.drop_index(batch_op.f('ix_contacts_closed_at'))
        batch_op.drop_index('ix_contacts_board')

    op.drop_table('contacts')
    with op.batch_alter_table('institution_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_institution_accounts_institution_id'))

    op.drop_table('institution_accounts')
