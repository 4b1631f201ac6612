"""search_indexes: rooms by what a session needs of them (active, accessibility, video, capacity) for the slot
search, and leave by its start, for ranking's read of everyone's leave in the next working days.

Revision ID: 0044_search_indexes
Revises: 0043_session_record_documents
Create Date: 2026-12-02
"""
from alembic import op


revision = '0044_search_indexes'
down_revision = '0043_session_record_documents'
branch_labels = None
depends_on = '0015_outbox_confidential'  # the scheduling branch's head: rooms and time_off exist


def upgrade() -> None:
    op.create_index('ix_rooms_hostable', 'rooms',
                    ['active', 'wheelchair_accessible', 'video_equipped', 'capacity', 'id'], unique=False)
    op.create_index('ix_time_off_starts_at', 'time_off', ['starts_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_time_off_starts_at', table_name='time_off')
    op.drop_index('ix_rooms_hostable', table_name='rooms')
