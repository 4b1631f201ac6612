"""baseline, complaints: contacts, their threads and attachments, institutions' accounts, consents

Squashed with 0051 (see its docstring).

Revision ID: 0053_baseline_complaints
Revises: 0052_baseline_rosters_sessions
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

import mediation_svc.db


revision = '0053_baseline_complaints'
down_revision = '0052_baseline_rosters_sessions'
branch_labels = None
depends_on = None

TABLES = ('institution_accounts', 'contacts', 'representative_nominations', 'complaint_attachments',
          'complaint_consumer_links', 'complaint_extensions', 'complaint_messages', 'consents')  # in the order made; dropped in reverse


def upgrade() -> None:
    op.create_table('institution_accounts',
    sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('branch', sa.String(length=200), nullable=True),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_index(op.f('ix_institution_accounts_institution_id'), 'institution_accounts', ['institution_id'], unique=False)
    op.create_table('contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('received_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('consumer_name', sa.String(length=200), nullable=False),
    sa.Column('consumer_phone', sa.String(length=32), nullable=True),
    sa.Column('consumer_id_number', sa.String(length=40), nullable=True),
    sa.Column('representative_name', sa.String(length=80), nullable=True),
    sa.Column('contact_phone', sa.String(length=32), nullable=True),
    sa.Column('contact_address', sa.String(length=300), nullable=True),
    sa.Column('refund_account', sa.String(length=40), nullable=True),
    sa.Column('topic', sa.String(length=200), nullable=True),
    sa.Column('answer', sa.String(length=5000), nullable=True),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('institution_branch', sa.String(length=200), nullable=True),
    sa.Column('category_code', sa.String(length=40), nullable=True),
    sa.Column('facts', sa.String(length=20000), nullable=True),
    sa.Column('request', sa.String(length=5000), nullable=True),
    sa.Column('amount', mediation_svc.db.Money(), nullable=True),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('urgent_reason', sa.String(length=500), nullable=True),
    sa.Column('urgent_due_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_response_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('forwarded_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('forwarded_on', sa.Date(), nullable=True),
    sa.Column('limit_days', sa.Integer(), nullable=True),
    sa.Column('deadline_on', sa.Date(), nullable=True),
    sa.Column('answered_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=30), nullable=True),
    sa.Column('settled_amount', mediation_svc.db.Money(), nullable=True),
    sa.Column('outcome_text', sa.String(length=5000), nullable=True),
    sa.Column('consumer_accepted', sa.Boolean(), nullable=True),
    sa.Column('consumer_comment', sa.String(length=1000), nullable=True),
    sa.Column('closed_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status_reason', sa.String(length=1000), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('risk_flags', sa.String(length=300), nullable=True),
    sa.Column('filed_by_consumer', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('wants_mediation', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('preferred_language', sa.String(length=40), nullable=True),
    sa.Column('needs_elderly_support', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('needs_interpreter', sa.Boolean(), server_default=sa.false(), nullable=False),
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
    op.create_index('ix_contacts_board', 'contacts', ['status', 'deadline_on'], unique=False)
    op.create_index(op.f('ix_contacts_closed_at'), 'contacts', ['closed_at'], unique=False)
    op.create_index(op.f('ix_contacts_contact_phone'), 'contacts', ['contact_phone'], unique=False)
    op.create_index('ix_contacts_institution', 'contacts', ['institution_id', 'status'], unique=False)
    op.create_index('ix_contacts_open_deadline', 'contacts', ['deadline_on', 'id'], unique=False, postgresql_where=sa.text("status IN ('forwarded', 'answered', 'not_accepted', 'mediation_offered')"), sqlite_where=sa.text("status IN ('forwarded', 'answered', 'not_accepted', 'mediation_offered')"))
    op.create_index(op.f('ix_contacts_received_at'), 'contacts', ['received_at'], unique=False)
    op.create_index(op.f('ix_contacts_refund_account'), 'contacts', ['refund_account'], unique=False)
    op.create_index(op.f('ix_contacts_status'), 'contacts', ['status'], unique=False)
    op.create_index('ix_contacts_urgent_open', 'contacts', ['urgent_due_at', 'id'], unique=False, postgresql_where=sa.text('urgent IS TRUE AND first_response_at IS NULL'), sqlite_where=sa.text('urgent IS TRUE AND first_response_at IS NULL'))
    op.create_table('representative_nominations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('nominated_by_user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('id_number', sa.String(length=40), nullable=True),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], ),
    sa.ForeignKeyConstraint(['nominated_by_user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_representative_nominations_case_id'), 'representative_nominations', ['case_id'], unique=False)
    op.create_table('complaint_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('side', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('media_type', sa.String(length=60), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_complaint_attachments_contact_id'), 'complaint_attachments', ['contact_id'], unique=False)
    op.create_table('complaint_consumer_links',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('expires_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ),
    sa.PrimaryKeyConstraint('token_hash')
    )
    op.create_index(op.f('ix_complaint_consumer_links_contact_id'), 'complaint_consumer_links', ['contact_id'], unique=False)
    op.create_table('complaint_extensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('approved_by', sa.String(length=120), nullable=True),
    sa.Column('deadline_before', sa.Date(), nullable=False),
    sa.Column('deadline_after', sa.Date(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_complaint_extensions_contact_id'), 'complaint_extensions', ['contact_id'], unique=False)
    op.create_table('complaint_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('side', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.String(length=4000), nullable=False),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_complaint_messages_contact_id'), 'complaint_messages', ['contact_id'], unique=False)
    op.create_table('consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone_proof_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('text_version', sa.String(length=20), nullable=False),
    sa.Column('text_sha256', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('given_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('client', sa.String(length=64), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ),
    sa.ForeignKeyConstraint(['phone_proof_id'], ['phone_proofs.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_consents_contact_id'), 'consents', ['contact_id'], unique=False)
    op.create_index(op.f('ix_consents_phone_proof_id'), 'consents', ['phone_proof_id'], unique=False)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
