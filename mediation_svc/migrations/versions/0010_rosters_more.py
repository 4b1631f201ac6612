"""rosters: mediators' specialties, languages and cities as jsonb on PostgreSQL

Revision ID: 0010_rosters_more
Revises: 0002_rosters
Create Date: 2026-11-23

Ranking asks of each candidate whether these lists hold the case's category, language and city
(``rosters.assignment.json_list_has``: ``@>`` on PostgreSQL). On ``json`` columns every check re-parses the
text; ``jsonb`` is stored parsed. SQLite keeps its JSON text (``json_each``): nothing to do there.
"""
from alembic import op


revision = '0010_rosters_more'
down_revision = '0002_rosters'
branch_labels = None
depends_on = None

COLUMNS = ("specialties", "languages", "cities")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.execute(f"ALTER TABLE mediators ALTER COLUMN {column} TYPE jsonb USING {column}::jsonb")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.execute(f"ALTER TABLE mediators ALTER COLUMN {column} TYPE json USING {column}::json")
