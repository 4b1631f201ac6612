"""workcalendar: the working-day calendar in the database

``calendar_years`` (one row per year: official or provisional, and where it came from) and ``calendar_days``
(the days that differ from Monday-to-Friday). Seeded with the official arrangements the ``chinese_calendar``
package carries, and ten later years computed by rule (statutory holidays, marked provisional) until an
administrator enters the State Council's arrangement (``mediation-svc calendar set-year``, /admin/calendar).

Revision ID: 0040_workcalendar
Revises: 0001_foundation
Create Date: 2026-12-01
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

import mediation_svc.db


revision = '0040_workcalendar'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None

PROVISIONAL_YEARS_AHEAD = 10


def upgrade() -> None:
    years = op.create_table(
        'calendar_years',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('note', sa.String(length=300), nullable=True),
        sa.Column('updated_at', mediation_svc.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('year'),
    )
    days = op.create_table(
        'calendar_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('is_workday', sa.Boolean(), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=True),
        sa.ForeignKeyConstraint(['year'], ['calendar_years.year']),
        sa.PrimaryKeyConstraint('day'),
    )
    op.create_index('ix_calendar_days_year', 'calendar_days', ['year'])

    from mediation_svc import workdays

    known = workdays.library_years()
    arrangements = [workdays.library_arrangement(y) for y in known]
    arrangements += [workdays.rule_arrangement(y) for y in range(known.stop, known.stop + PROVISIONAL_YEARS_AHEAD)]
    now = datetime.now(timezone.utc)
    op.bulk_insert(years, [{"year": a.year, "status": a.status, "source": a.source, "note": None,
                            "updated_at": now} for a in arrangements])
    op.bulk_insert(days, [{"day": r.day, "year": a.year, "is_workday": r.is_workday, "name": r.name}
                          for a in arrangements for r in sorted(a.days.values(), key=lambda r: r.day)])


def downgrade() -> None:
    op.drop_index('ix_calendar_days_year', table_name='calendar_days')
    op.drop_table('calendar_days')
    op.drop_table('calendar_years')
