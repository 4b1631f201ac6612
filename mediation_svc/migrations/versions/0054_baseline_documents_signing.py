"""baseline, documents and signing: drafts, documents, session papers, signing, judicial confirmation

Squashed with 0051 (see its docstring). The database keeps a final document unchanged.

Revision ID: 0054_baseline_documents_signing
Revises: 0053_baseline_complaints
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

import mediation_svc.db


revision = '0054_baseline_documents_signing'
down_revision = '0053_baseline_complaints'
branch_labels = None
depends_on = None

# Keep in step with documents.models.FROZEN_COLUMNS.
FROZEN = ("case_id", "kind", "title", "template_id", "template_version", "language", "inputs_json",
          "inputs_hash", "pdf", "sha256", "size", "page_count", "verification_code", "supersedes_id",
          "created_at", "finalised_by")
TABLES = ('document_drafts', 'document_draft_versions', 'documents', 'service_address_confirmations',
          'session_notices', 'session_records', 'signing_requests', 'judicial_applications',
          'signing_participants', 'judicial_packages', 'judicial_rulings', 'signed_revisions', 'signing_links')  # in the order made; dropped in reverse


def upgrade() -> None:
    op.create_table('document_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('template_id', sa.String(length=80), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('latest_version', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_document_drafts_case_id'), 'document_drafts', ['case_id'], unique=False)
    op.create_table('document_draft_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('template_version', sa.Integer(), nullable=False),
    sa.Column('inputs_json', sa.Text(), nullable=False),
    sa.Column('inputs_hash', sa.String(length=64), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['draft_id'], ['document_drafts.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('draft_id', 'version')
    )
    op.create_index(op.f('ix_document_draft_versions_draft_id'), 'document_draft_versions', ['draft_id'], unique=False)
    op.create_table('documents',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('template_id', sa.String(length=80), nullable=False),
    sa.Column('template_version', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('inputs_json', sa.Text(), nullable=False),
    sa.Column('inputs_hash', sa.String(length=64), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('page_count', sa.Integer(), nullable=False),
    sa.Column('verification_code', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('supersedes_id', sa.String(length=36), nullable=True),
    sa.Column('draft_id', sa.Integer(), nullable=True),
    sa.Column('draft_version', sa.Integer(), nullable=True),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finalised_by', sa.Integer(), nullable=True),
    sa.Column('voided_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('void_reason', sa.String(length=1000), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['draft_id'], ['document_drafts.id'], ),
    sa.ForeignKeyConstraint(['finalised_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['supersedes_id'], ['documents.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('verification_code')
    )
    op.create_index(op.f('ix_documents_case_id'), 'documents', ['case_id'], unique=False)
    op.create_index(op.f('ix_documents_draft_id'), 'documents', ['draft_id'], unique=False)
    op.create_index(op.f('ix_documents_sha256'), 'documents', ['sha256'], unique=False)
    op.create_index(op.f('ix_documents_status'), 'documents', ['status'], unique=False)
    op.create_table('service_address_confirmations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('details', sa.String(length=2000), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('confirmed_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['party_id'], ['case_parties.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_service_address_confirmations_case_id'), 'service_address_confirmations', ['case_id'], unique=False)
    op.create_index(op.f('ix_service_address_confirmations_party_id'), 'service_address_confirmations', ['party_id'], unique=False)
    op.create_table('session_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=120), nullable=False),
    sa.Column('document_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['mediation_sessions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('session_id', 'sequence', 'recipient', name='uq_session_notices_issue')
    )
    op.create_table('session_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('minutes', sa.String(length=50000), nullable=False),
    sa.Column('outcome', sa.String(length=30), nullable=False),
    sa.Column('drafted_by_user_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_by_user_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('document_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['confirmed_by_user_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name='fk_session_records_document'),
    sa.ForeignKeyConstraint(['drafted_by_user_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['mediation_sessions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('session_id')
    )
    op.create_table('signing_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('deadline_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('current_sha256', sa.String(length=64), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_reason', sa.String(length=1000), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_signing_requests_case_id'), 'signing_requests', ['case_id'], unique=False)
    op.create_index(op.f('ix_signing_requests_document_id'), 'signing_requests', ['document_id'], unique=False)
    op.create_index(op.f('ix_signing_requests_status'), 'signing_requests', ['status'], unique=False)
    op.create_table('judicial_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('agreement_document_id', sa.String(length=36), nullable=False),
    sa.Column('application_document_id', sa.String(length=36), nullable=False),
    sa.Column('signing_request_id', sa.Integer(), nullable=True),
    sa.Column('court_name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
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
    op.create_index(op.f('ix_judicial_applications_case_id'), 'judicial_applications', ['case_id'], unique=False)
    op.create_index(op.f('ix_judicial_applications_status'), 'judicial_applications', ['status'], unique=False)
    op.create_table('signing_participants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('role_label', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('on_behalf_of', sa.String(length=200), nullable=True),
    sa.Column('party_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('id_masked', sa.String(length=40), nullable=True),
    sa.Column('id_last4_hash', sa.String(length=128), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('field_name', sa.String(length=60), nullable=False),
    sa.Column('otp_hash', sa.String(length=200), nullable=True),
    sa.Column('otp_expires_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('otp_failures', sa.Integer(), nullable=False),
    sa.Column('otp_locked', sa.Boolean(), nullable=False),
    sa.Column('otp_verified_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id_verified_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('document_viewed_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('consent_sha256', sa.String(length=64), nullable=True),
    sa.Column('consent_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('drawing_png', sa.LargeBinary(), nullable=True),
    sa.Column('link_jti', sa.String(length=64), nullable=True),
    sa.Column('authorisation_doc', sa.LargeBinary(), nullable=True),
    sa.Column('authorisation_content_type', sa.String(length=60), nullable=True),
    sa.Column('authorisation_sha256', sa.String(length=64), nullable=True),
    sa.Column('authorisation_checked_by', sa.Integer(), nullable=True),
    sa.Column('authorisation_checked_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('institution_seal_png', sa.LargeBinary(), nullable=True),
    sa.Column('institution_seal_sha256', sa.String(length=64), nullable=True),
    sa.Column('external_cert_der', sa.LargeBinary(), nullable=True),
    sa.Column('prepared_pdf', sa.LargeBinary(), nullable=True),
    sa.Column('prepared_digest', sa.String(length=128), nullable=True),
    sa.Column('prepared_region', sa.String(length=40), nullable=True),
    sa.Column('prepared_base_sha256', sa.String(length=64), nullable=True),
    sa.Column('last_reminded_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('mode', sa.String(length=20), nullable=False, server_default='remote'),
    sa.Column('otp_sent_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('otp_sends', sa.Integer(), nullable=False, server_default='0'),
    sa.Column('link_used_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('session_jti', sa.String(length=64), nullable=True),
    sa.Column('onsite_host_user_id', sa.Integer(), nullable=True),
    sa.Column('declined_reason', sa.String(length=1000), nullable=True),
    sa.Column('signed_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('link_opened_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('key_origin', sa.String(length=30), nullable=True),
    sa.Column('public_key_der', sa.LargeBinary(), nullable=True),
    sa.Column('prepared_attrs', sa.LargeBinary(), nullable=True),
    sa.Column('prepared_cert_der', sa.LargeBinary(), nullable=True),
    sa.Column('prepared_evidence', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['authorisation_checked_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['onsite_host_user_id'], ['users.id'], name='fk_signing_participants_onsite_host'),
    sa.ForeignKeyConstraint(['party_id'], ['case_parties.id'], ),
    sa.ForeignKeyConstraint(['request_id'], ['signing_requests.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_signing_participants_request_id'), 'signing_participants', ['request_id'], unique=False)
    op.create_table('judicial_packages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('zip_bytes', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('manifest_sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['judicial_applications.id'], ),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_judicial_packages_application_id'), 'judicial_packages', ['application_id'], unique=False)
    op.create_index(op.f('ix_judicial_packages_case_id'), 'judicial_packages', ['case_id'], unique=False)
    op.create_table('judicial_rulings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('confirmed', sa.Boolean(), nullable=False),
    sa.Column('ruling_number', sa.String(length=100), nullable=False),
    sa.Column('ruling_date', sa.Date(), nullable=False),
    sa.Column('court_name', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.String(length=2000), nullable=True),
    sa.Column('recorded_by_user_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['judicial_applications.id'], ),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['recorded_by_user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('application_id')
    )
    op.create_index(op.f('ix_judicial_rulings_case_id'), 'judicial_rulings', ['case_id'], unique=False)
    op.create_table('signed_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.String(length=36), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('sha256_before', sa.String(length=64), nullable=False),
    sa.Column('sha256_after', sa.String(length=64), nullable=False),
    sa.Column('cert_serial', sa.String(length=64), nullable=True),
    sa.Column('evidence', sa.String(), nullable=True),
    sa.Column('evidence_sha256', sa.String(length=64), nullable=True),
    sa.Column('timestamp_expires_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ),
    sa.ForeignKeyConstraint(['participant_id'], ['signing_participants.id'], ),
    sa.ForeignKeyConstraint(['request_id'], ['signing_requests.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('document_id', 'sequence')
    )
    op.create_index(op.f('ix_signed_revisions_document_id'), 'signed_revisions', ['document_id'], unique=False)
    op.create_index(op.f('ix_signed_revisions_request_id'), 'signed_revisions', ['request_id'], unique=False)
    op.create_table('signing_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('replaced_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['participant_id'], ['signing_participants.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code_hash')
    )
    op.create_index(op.f('ix_signing_links_participant_id'), 'signing_links', ['participant_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        _frozen_documents_postgresql()
    else:
        _frozen_documents_sqlite()


def _frozen_documents_postgresql() -> None:
    """A final document cannot change or be deleted; a voided one stays voided."""
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in FROZEN)
    op.execute(f"""
        CREATE FUNCTION documents_are_frozen() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'document % is final and cannot be deleted', OLD.id;
            END IF;
            IF {changed} THEN
                RAISE EXCEPTION 'document % is final; its content cannot change', OLD.id;
            END IF;
            IF OLD.status = 'voided' AND NEW.status <> 'voided' THEN
                RAISE EXCEPTION 'document % is voided and stays voided', OLD.id;
            END IF;
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql;
    """)
    op.execute("CREATE TRIGGER documents_frozen BEFORE UPDATE OR DELETE ON documents "
               "FOR EACH ROW EXECUTE FUNCTION documents_are_frozen()")


def _frozen_documents_sqlite() -> None:
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in FROZEN)
    op.execute(f"""
        CREATE TRIGGER documents_frozen_update BEFORE UPDATE ON documents
        WHEN {changed}
        BEGIN SELECT RAISE(ABORT, 'document is final; its content cannot change'); END;
    """)
    op.execute("""
        CREATE TRIGGER documents_voided_stays_voided BEFORE UPDATE OF status ON documents
        WHEN OLD.status = 'voided' AND NEW.status <> 'voided'
        BEGIN SELECT RAISE(ABORT, 'document is voided and stays voided'); END;
    """)
    op.execute("""
        CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents
        BEGIN SELECT RAISE(ABORT, 'document is final and cannot be deleted'); END;
    """)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS documents_are_frozen()")
