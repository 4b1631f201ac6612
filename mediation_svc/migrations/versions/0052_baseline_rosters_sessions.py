"""baseline, rosters and sessions: mediators, pools, experts, rooms, sessions, bookings

Squashed with 0051 (see its docstring). On PostgreSQL two bookings of one resource cannot overlap.

Revision ID: 0052_baseline_rosters_sessions
Revises: 0051_baseline_core
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import mediation_svc.db


revision = '0052_baseline_rosters_sessions'
down_revision = '0051_baseline_core'
branch_labels = None
depends_on = None

TABLES = ('mediator_pools', 'venues', 'mediator_pool_categories', 'rooms', 'calendar_feed_tokens', 'experts',
          'mediators', 'time_off', 'working_hours', 'expert_affiliations', 'expert_invitations',
          'mediation_sessions', 'mediator_affiliations', 'mediator_assignments', 'mediator_certifications',
          'mediator_pool_members', 'recusal_requests', 'session_bookings', 'session_changes',
          'session_participants')  # in the order made; dropped in reverse


def upgrade() -> None:
    op.create_table('mediator_pools',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('venues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('city', sa.String(length=80), nullable=True),
    sa.Column('opens_at', sa.Time(), nullable=False),
    sa.Column('closes_at', sa.Time(), nullable=False),
    sa.Column('elderly_friendly', sa.Boolean(), nullable=False),
    sa.Column('wheelchair_accessible', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('mediator_pool_categories',
    sa.Column('pool_id', sa.Integer(), nullable=False),
    sa.Column('category_code', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['category_code'], ['case_categories.code'], ),
    sa.ForeignKeyConstraint(['pool_id'], ['mediator_pools.id'], ),
    sa.PrimaryKeyConstraint('pool_id', 'category_code')
    )
    op.create_index('ix_mediator_pool_categories_category', 'mediator_pool_categories', ['category_code', 'pool_id'], unique=False)
    op.create_table('rooms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('equipment', sa.String(length=500), nullable=True),
    sa.Column('video_equipped', sa.Boolean(), nullable=False),
    sa.Column('wheelchair_accessible', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_rooms_hostable', 'rooms', ['active', 'wheelchair_accessible', 'video_equipped', 'capacity', 'id'], unique=False)
    op.create_index(op.f('ix_rooms_venue_id'), 'rooms', ['venue_id'], unique=False)
    op.create_table('calendar_feed_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash'),
    sa.UniqueConstraint('user_id')
    )
    op.create_table('experts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('field', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=True),
    sa.Column('organisation', sa.String(length=200), nullable=True),
    sa.Column('qualifications', sa.JSON(), nullable=False),
    sa.Column('cities', sa.JSON(), nullable=False),
    sa.Column('availability', sa.String(length=20), nullable=False),
    sa.Column('availability_note', sa.String(length=500), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id')
    )
    op.create_index(op.f('ix_experts_field'), 'experts', ['field'], unique=False)
    op.create_table('mediators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('background', sa.String(length=20), nullable=False),
    sa.Column('years_of_practice', sa.Integer(), nullable=False),
    sa.Column('specialties', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('languages', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('cities', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('remote_capable', sa.Boolean(), nullable=False),
    sa.Column('max_active_cases', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_reason', sa.String(length=500), nullable=True),
    sa.Column('active_cases', sa.Integer(), nullable=False),
    sa.Column('last_assigned_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('assignments_total', sa.Integer(), nullable=False),
    sa.Column('certification_valid_until', sa.Date(), nullable=True),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id')
    )
    op.create_index(op.f('ix_mediators_status'), 'mediators', ['status'], unique=False)
    op.create_table('time_off',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('room_id', sa.Integer(), nullable=True),
    sa.Column('starts_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_time_off_room_id'), 'time_off', ['room_id'], unique=False)
    op.create_index(op.f('ix_time_off_starts_at'), 'time_off', ['starts_at'], unique=False)
    op.create_index(op.f('ix_time_off_user_id'), 'time_off', ['user_id'], unique=False)
    op.create_table('working_hours',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('starts', sa.Time(), nullable=False),
    sa.Column('ends', sa.Time(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_working_hours_user_id'), 'working_hours', ['user_id'], unique=False)
    op.create_table('expert_affiliations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('credit_code', sa.String(length=18), nullable=True),
    sa.Column('institution_name', sa.String(length=200), nullable=False),
    sa.Column('relation', sa.String(length=40), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['expert_id'], ['experts.id'], ),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_expert_affiliations_credit_code'), 'expert_affiliations', ['credit_code'], unique=False)
    op.create_index(op.f('ix_expert_affiliations_expert_id'), 'expert_affiliations', ['expert_id'], unique=False)
    op.create_index(op.f('ix_expert_affiliations_institution_id'), 'expert_affiliations', ['institution_id'], unique=False)
    op.create_table('expert_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('expert_user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=30), nullable=False),
    sa.Column('question', sa.String(length=4000), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('invited_by_user_id', sa.Integer(), nullable=True),
    sa.Column('invited_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('responded_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('response_note', sa.String(length=1000), nullable=True),
    sa.Column('opinion', sa.String(length=50000), nullable=True),
    sa.Column('opinion_submitted_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['expert_id'], ['experts.id'], ),
    sa.ForeignKeyConstraint(['expert_user_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['invited_by_user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_expert_invitations_case_id'), 'expert_invitations', ['case_id'], unique=False)
    op.create_index(op.f('ix_expert_invitations_expert_id'), 'expert_invitations', ['expert_id'], unique=False)
    op.create_index(op.f('ix_expert_invitations_expert_user_id'), 'expert_invitations', ['expert_user_id'], unique=False)
    op.create_table('mediation_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=80), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('starts_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=True),
    sa.Column('meeting_provider', sa.String(length=20), nullable=True),
    sa.Column('meeting_url', sa.String(length=500), nullable=True),
    sa.Column('agenda', sa.String(length=4000), nullable=True),
    sa.Column('cancel_reason', sa.String(length=1000), nullable=True),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('uid')
    )
    op.create_index(op.f('ix_mediation_sessions_case_id'), 'mediation_sessions', ['case_id'], unique=False)
    op.create_index(op.f('ix_mediation_sessions_room_id'), 'mediation_sessions', ['room_id'], unique=False)
    op.create_index(op.f('ix_mediation_sessions_starts_at'), 'mediation_sessions', ['starts_at'], unique=False)
    op.create_index(op.f('ix_mediation_sessions_status'), 'mediation_sessions', ['status'], unique=False)
    op.create_table('mediator_affiliations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mediator_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('credit_code', sa.String(length=18), nullable=True),
    sa.Column('institution_name', sa.String(length=200), nullable=False),
    sa.Column('relation', sa.String(length=40), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], ),
    sa.ForeignKeyConstraint(['mediator_id'], ['mediators.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_mediator_affiliations_credit_code'), 'mediator_affiliations', ['credit_code'], unique=False)
    op.create_index(op.f('ix_mediator_affiliations_institution_id'), 'mediator_affiliations', ['institution_id'], unique=False)
    op.create_index(op.f('ix_mediator_affiliations_mediator_id'), 'mediator_affiliations', ['mediator_id'], unique=False)
    op.create_table('mediator_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('mediator_id', sa.Integer(), nullable=False),
    sa.Column('assigned_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=True),
    sa.Column('assigned_by_user_id', sa.Integer(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('explanation', sa.JSON(), nullable=True),
    sa.Column('ended_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['assigned_by_user_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['mediator_id'], ['mediators.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_mediator_assignments_assigned_at'), 'mediator_assignments', ['assigned_at'], unique=False)
    op.create_index(op.f('ix_mediator_assignments_case_id'), 'mediator_assignments', ['case_id'], unique=False)
    op.create_index('ix_mediator_assignments_mediator_at', 'mediator_assignments', ['mediator_id', 'assigned_at'], unique=False)
    op.create_table('mediator_certifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mediator_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('number', sa.String(length=80), nullable=True),
    sa.Column('issuer', sa.String(length=120), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['mediator_id'], ['mediators.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_mediator_certifications_mediator_id'), 'mediator_certifications', ['mediator_id'], unique=False)
    op.create_table('mediator_pool_members',
    sa.Column('pool_id', sa.Integer(), nullable=False),
    sa.Column('mediator_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['mediator_id'], ['mediators.id'], ),
    sa.ForeignKeyConstraint(['pool_id'], ['mediator_pools.id'], ),
    sa.PrimaryKeyConstraint('pool_id', 'mediator_id')
    )
    op.create_index('ix_mediator_pool_members_mediator', 'mediator_pool_members', ['mediator_id', 'pool_id'], unique=False)
    op.create_table('recusal_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('mediator_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_user_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=2000), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('decided_by_user_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.String(length=2000), nullable=True),
    sa.Column('replacement_mediator_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['decided_by_user_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['mediator_id'], ['mediators.id'], ),
    sa.ForeignKeyConstraint(['replacement_mediator_id'], ['mediators.id'], ),
    sa.ForeignKeyConstraint(['requested_by_user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_recusal_requests_case_id'), 'recusal_requests', ['case_id'], unique=False)
    op.create_index(op.f('ix_recusal_requests_mediator_id'), 'recusal_requests', ['mediator_id'], unique=False)
    op.create_table('session_bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('resource', sa.String(length=40), nullable=False),
    sa.Column('starts_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['mediation_sessions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_session_bookings_resource_start', 'session_bookings', ['resource', 'starts_at'], unique=False)
    op.create_index(op.f('ix_session_bookings_session_id'), 'session_bookings', ['session_id'], unique=False)
    op.create_table('session_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('from_starts_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('from_ends_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('from_room_id', sa.Integer(), nullable=True),
    sa.Column('to_starts_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('to_ends_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('to_room_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=1000), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['mediation_sessions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_session_changes_session_id'), 'session_changes', ['session_id'], unique=False)
    op.create_table('session_participants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('party_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('attendance', sa.String(length=20), nullable=True),
    sa.Column('language', sa.String(length=10), nullable=False, server_default='zh-CN'),
    sa.ForeignKeyConstraint(['party_id'], ['case_parties.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['mediation_sessions.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_session_participants_session_id'), 'session_participants', ['session_id'], unique=False)
    op.create_index(op.f('ix_session_participants_user_id'), 'session_participants', ['user_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":  # SQLite has none: the booking service checks overlap
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute("ALTER TABLE session_bookings ADD CONSTRAINT session_bookings_no_overlap "
                   "EXCLUDE USING gist (resource WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)")
        op.execute("ALTER TABLE session_bookings ADD CONSTRAINT session_bookings_positive CHECK (ends_at > starts_at)")


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
