"""baseline, core: accounts, institutions, cases, audit, keys, throttling, calendar, outbox

The migrations 0001_foundation..0050_service_addresses squashed (2026-12-03) into four revisions by domain,
0051..0054: the same tables, indexes, constraints, database-enforced rules and seed rows (tests/test_migrations.py
builds both and compares them). A database the old chain finished is adopted as it is (migrations_check).

Revision ID: 0051_baseline_core
Revises: 
Create Date: 2026-12-03
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

import mediation_svc.db


revision = '0051_baseline_core'
down_revision = None
branch_labels = None
depends_on = None

DEFAULT_CATEGORIES = [
    ("insurance_claim", "保险理赔", "Insurance claim"),
    ("mis_selling", "销售误导", "Mis-selling"),
    ("bank_card", "银行卡", "Bank card"),
    ("loan", "贷款", "Loan"),
    ("wealth_management", "理财产品", "Wealth management"),
    ("surrender", "退保", "Policy surrender"),
    ("other", "其他", "Other"),
]
PROVISIONAL_YEARS_AHEAD = 10
TABLES = ('audit_chains', 'audit_log', 'audit_tree_heads', 'audit_tree_leaves', 'calendar_overrides',
          'calendar_years', 'case_categories', 'case_number_counters', 'institutions', 'phone_proofs',
          'pki_certificates', 'revoked_tokens', 'throttle_events', 'calendar_days', 'users', 'cases',
          'notification_outbox', 'recovery_codes', 'case_evidence', 'case_messages', 'case_parties', 'case_shares',
          'readiness_probe', 'idempotency_keys')  # in the order made; dropped in reverse


def upgrade() -> None:
    op.create_table('audit_chains',
    sa.Column('chain', sa.String(length=120), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.Column('last_entry', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('chain')
    )
    op.create_table('audit_log',
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.Column('subject', sa.String(length=120), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.String(), nullable=False),
    sa.Column('chain', sa.String(length=120), nullable=False),
    sa.Column('chain_seq', sa.Integer(), nullable=False),
    sa.Column('prev_seq', sa.Integer(), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('hash')
    )
    op.create_index(op.f('ix_audit_log_action'), 'audit_log', ['action'], unique=False)
    op.create_index(op.f('ix_audit_log_case_id'), 'audit_log', ['case_id'], unique=False)
    op.create_index(op.f('ix_audit_log_chain'), 'audit_log', ['chain'], unique=False)
    op.create_index(op.f('ix_audit_log_subject'), 'audit_log', ['subject'], unique=False)
    op.create_index('uq_audit_log_chain_position', 'audit_log', ['chain', 'chain_seq'], unique=True)
    op.create_table('audit_tree_heads',
    sa.Column('tree_size', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('root_hash', sa.String(length=64), nullable=False),
    sa.Column('issued_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('frontier', sa.Text(), nullable=False),
    sa.Column('signed_head', sa.Text(), nullable=False),
    sa.Column('timestamp_token', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('tree_size')
    )
    op.create_table('audit_tree_leaves',
    sa.Column('index', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('chain', sa.String(length=120), nullable=False),
    sa.Column('chain_seq', sa.Integer(), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.Column('leaf_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('index')
    )
    op.create_index(op.f('ix_audit_tree_leaves_chain'), 'audit_tree_leaves', ['chain'], unique=False)
    op.create_table('calendar_overrides',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('is_workday', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('day')
    )
    op.create_table('calendar_years',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('updated_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('year')
    )
    op.create_table('case_categories',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_zh', sa.String(length=80), nullable=False),
    sa.Column('name_en', sa.String(length=80), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('case_number_counters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('prefix', sa.String(length=40), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('prefix', 'year')
    )
    op.create_table('institutions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('legal_representative', sa.String(length=80), nullable=True),
    sa.Column('legal_representative_title', sa.String(length=80), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('credit_code')
    )
    op.create_index(op.f('ix_institutions_name'), 'institutions', ['name'], unique=False)
    op.create_table('phone_proofs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('code_mac', sa.String(length=100), nullable=False),
    sa.Column('sent_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('proved_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_phone_proofs_phone'), 'phone_proofs', ['phone'], unique=False)
    op.create_table('pki_certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('serial_hex', sa.String(length=64), nullable=False),
    sa.Column('issuer', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('not_before', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('not_after', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('issued_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revocation_reason', sa.String(length=40), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_pki_certificates_case_id'), 'pki_certificates', ['case_id'], unique=False)
    op.create_index(op.f('ix_pki_certificates_issuer'), 'pki_certificates', ['issuer'], unique=False)
    op.create_index(op.f('ix_pki_certificates_serial_hex'), 'pki_certificates', ['serial_hex'], unique=True)
    op.create_table('revoked_tokens',
    sa.Column('jti', sa.String(length=64), nullable=False),
    sa.Column('expires_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('jti')
    )
    op.create_table('throttle_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bucket', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_throttle_events_at'), 'throttle_events', ['at'], unique=False)
    op.create_index(op.f('ix_throttle_events_bucket'), 'throttle_events', ['bucket'], unique=False)
    op.create_index(op.f('ix_throttle_events_key'), 'throttle_events', ['key'], unique=False)
    op.create_table('calendar_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('is_workday', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=True),
    sa.ForeignKeyConstraint(['year'], ['calendar_years.year'], ),
    sa.PrimaryKeyConstraint('day')
    )
    op.create_index(op.f('ix_calendar_days_year'), 'calendar_days', ['year'], unique=False)
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('organisation', sa.String(length=200), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('totp_secret', sa.String(length=64), nullable=True),
    sa.Column('totp_enabled_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('totp_last_step', sa.BigInteger(), nullable=True),
    sa.Column('password_changed_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_users_role'), 'users', ['role'], unique=False)
    op.create_index(op.f('ix_users_username'), 'users', ['username'], unique=True)
    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('category_code', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('status_reason', sa.String(length=1000), nullable=True),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('institution_branch', sa.String(length=200), nullable=True),
    sa.Column('claim_amount', mediation_svc.db.Money(), nullable=True),
    sa.Column('settled_amount', mediation_svc.db.Money(), nullable=True),
    sa.Column('facts', sa.String(length=20000), nullable=False),
    sa.Column('requests', sa.String(length=5000), nullable=True),
    sa.Column('preferred_language', sa.String(length=40), nullable=False),
    sa.Column('city', sa.String(length=80), nullable=True),
    sa.Column('needs_elderly_support', sa.Boolean(), nullable=False),
    sa.Column('needs_interpreter', sa.Boolean(), nullable=False),
    sa.Column('needs_note', sa.String(length=1000), nullable=True),
    sa.Column('fast_track', sa.Boolean(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('officer_user_id', sa.Integer(), nullable=True),
    sa.Column('mediator_user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['category_code'], ['case_categories.code'], ),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], ),
    sa.ForeignKeyConstraint(['mediator_user_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['officer_user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_cases_category_code'), 'cases', ['category_code'], unique=False)
    op.create_index(op.f('ix_cases_institution_id'), 'cases', ['institution_id'], unique=False)
    op.create_index(op.f('ix_cases_mediator_user_id'), 'cases', ['mediator_user_id'], unique=False)
    op.create_index(op.f('ix_cases_number'), 'cases', ['number'], unique=True)
    op.create_index(op.f('ix_cases_officer_user_id'), 'cases', ['officer_user_id'], unique=False)
    op.create_index(op.f('ix_cases_status'), 'cases', ['status'], unique=False)
    op.create_table('notification_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('recipient', sa.String(length=200), nullable=False),
    sa.Column('recipient_name', sa.String(length=120), nullable=True),
    sa.Column('recipient_user_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=True),
    sa.Column('body', sa.String(length=20000), nullable=False),
    sa.Column('confidential', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('attachments', sa.Text(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('ref', sa.String(length=80), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=2000), nullable=True),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['recipient_user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_notification_outbox_case_id'), 'notification_outbox', ['case_id'], unique=False)
    op.create_index('ix_notification_outbox_due', 'notification_outbox', ['status', 'next_attempt_at'], unique=False)
    op.create_index(op.f('ix_notification_outbox_ref'), 'notification_outbox', ['ref'], unique=False)
    op.create_table('recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=200), nullable=False),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_recovery_codes_user_id'), 'recovery_codes', ['user_id'], unique=False)
    op.create_table('case_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=120), nullable=False),
    sa.Column('side', sa.String(length=20), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('media_type', sa.String(length=60), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('shared_with_court', sa.Boolean(), nullable=False),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_case_evidence_case_id'), 'case_evidence', ['case_id'], unique=False)
    op.create_table('case_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('side', sa.String(length=10), nullable=False),
    sa.Column('author', sa.String(length=120), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('body', sa.String(length=2000), nullable=False),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_case_messages_case_id'), 'case_messages', ['case_id'], unique=False)
    op.create_table('case_parties',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('id_type', sa.String(length=30), nullable=True),
    sa.Column('id_number', sa.String(length=40), nullable=True),
    sa.Column('credit_code', sa.String(length=18), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('representative_name', sa.String(length=80), nullable=True),
    sa.Column('representative_title', sa.String(length=80), nullable=True),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_case_parties_case_id'), 'case_parties', ['case_id'], unique=False)
    op.create_index(op.f('ix_case_parties_user_id'), 'case_parties', ['user_id'], unique=False)
    op.create_table('case_shares',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('court_user_id', sa.Integer(), nullable=False),
    sa.Column('expires_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['court_user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_case_shares_case_id'), 'case_shares', ['case_id'], unique=False)
    op.create_index(op.f('ix_case_shares_court_user_id'), 'case_shares', ['court_user_id'], unique=False)
    _service_tables()
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_rules()
    else:
        _sqlite_rules()
    _seed()


def _service_tables() -> None:
    """Tables the service writes through SQL of its own rather than a model (reliability.py, idempotency.py)."""
    op.create_table('readiness_probe',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('writes', sa.BigInteger(), nullable=False, server_default='0'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('idempotency_keys',
    sa.Column('owner', sa.String(length=120), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('request', sa.String(length=300), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response_json', sa.Text(), nullable=True),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('owner', 'key')
    )


def _postgresql_rules() -> None:
    """The audit log is append-only, whatever the application does."""
    op.execute("""
        CREATE FUNCTION audit_log_is_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log is append-only';
        END;
        $$ LANGUAGE plpgsql;
    """)
    op.execute("CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
               "FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only()")
    op.execute("CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
               "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only()")


def _sqlite_rules() -> None:
    """The same rule as triggers."""
    op.execute("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
               "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;")
    op.execute("CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
               "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;")


def _seed() -> None:
    """Case categories, the readiness probe's one row, and the working-day calendar.

    The calendar: the official arrangements the ``chinese_calendar`` package carries, and ten later years computed
    by rule (statutory holidays, marked provisional) until an administrator enters the State Council's arrangement.
    """
    categories = sa.table("case_categories", sa.column("code", sa.String), sa.column("name_zh", sa.String),
                          sa.column("name_en", sa.String), sa.column("active", sa.Boolean))
    op.bulk_insert(categories, [
        {"code": code, "name_zh": zh, "name_en": en, "active": True} for code, zh, en in DEFAULT_CATEGORIES
    ])
    op.bulk_insert(sa.table("readiness_probe", sa.column("id", sa.Integer), sa.column("writes", sa.BigInteger)),
                   [{"id": 1, "writes": 0}])

    from mediation_svc import workdays

    known = workdays.library_years()
    arrangements = [workdays.library_arrangement(y) for y in known]
    arrangements += [workdays.rule_arrangement(y) for y in range(known.stop, known.stop + PROVISIONAL_YEARS_AHEAD)]
    now = datetime.now(timezone.utc)
    years = sa.table("calendar_years", sa.column("year", sa.Integer), sa.column("status", sa.String),
                     sa.column("source", sa.String), sa.column("note", sa.String),
                     sa.column("updated_at", mediation_svc.db.UTCDateTime(timezone=True)))
    days = sa.table("calendar_days", sa.column("day", sa.Date), sa.column("year", sa.Integer),
                    sa.column("is_workday", sa.Boolean), sa.column("name", sa.String))
    op.bulk_insert(years, [{"year": a.year, "status": a.status, "source": a.source, "note": None,
                            "updated_at": now} for a in arrangements])
    op.bulk_insert(days, [{"day": r.day, "year": a.year, "is_workday": r.is_workday, "name": r.name}
                          for a in arrangements for r in sorted(a.days.values(), key=lambda r: r.day)])


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_log_is_append_only()")
