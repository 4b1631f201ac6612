"""documents: the database itself refuses changes to what was finalised

A finalised document (table ``documents``) is what the parties sign: its bytes, hashes and provenance
can never change, and the row is never deleted (a superseded document is voided, not removed). The ORM
refuses such changes already (``documents.models``); these triggers make the database refuse them too,
whatever client writes to it. Only ``status``, ``voided_at``, ``void_reason`` (and the bookkeeping
columns ``draft_id``/``draft_version``) may change, and a voided document stays voided.

Revision ID: 0009_documents_more
Revises: 0004_documents
Create Date: 2026-11-23
"""
from alembic import op


revision = '0009_documents_more'
down_revision = '0004_documents'
branch_labels = None
depends_on = None

# Keep in step with documents.models.FROZEN_COLUMNS.
FROZEN = ("case_id", "kind", "title", "template_id", "template_version", "language", "inputs_json",
          "inputs_hash", "pdf", "sha256", "size", "page_count", "verification_code", "supersedes_id",
          "created_at", "finalised_by")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
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
        op.execute("""
            CREATE TRIGGER documents_frozen BEFORE UPDATE OR DELETE ON documents
            FOR EACH ROW EXECUTE FUNCTION documents_are_frozen();
        """)
    else:
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
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS documents_frozen ON documents")
        op.execute("DROP FUNCTION IF EXISTS documents_are_frozen()")
    else:
        op.execute("DROP TRIGGER IF EXISTS documents_frozen_update")
        op.execute("DROP TRIGGER IF EXISTS documents_voided_stays_voided")
        op.execute("DROP TRIGGER IF EXISTS documents_no_delete")
