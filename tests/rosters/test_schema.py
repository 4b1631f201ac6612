"""What the schema (0052_baseline_rosters_sessions) gives the ranking query on PostgreSQL."""

from __future__ import annotations

import pytest


@pytest.mark.postgresql_only
def test_the_mediator_lists_are_jsonb_for_the_ranking_query(engine):
    """The mediators' lists are jsonb: ranking tests membership with @>, which needs no re-parse."""
    from sqlalchemy import text

    with engine.connect() as conn:
        types = dict(conn.execute(text(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'mediators' "
            "AND column_name IN ('specialties', 'languages', 'cities')")).all())
    assert types == {"specialties": "jsonb", "languages": "jsonb", "cities": "jsonb"}
