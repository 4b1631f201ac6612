"""A finalised document never changes: the ORM refuses, the database refuses, and finalising is all or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, select

from mediation_svc.audit.models import AuditEntry
from mediation_svc.cases.models import Case
from mediation_svc.db import unit_of_work
from mediation_svc.documents import service
from mediation_svc.documents.models import Document, DocumentStatus, Draft

from .conftest import agreement_terms


def finalised(engine, settings, dc) -> Document:
    with unit_of_work(engine) as session:
        case = session.get(Case, dc.case.id)
        draft, version = service.create_draft(session, settings, case=case, template_id="mediation_agreement",
                                              language="zh-CN", inputs=agreement_terms(), note=None,
                                              actor=dc.mediator)
        document = service.finalise(session, settings, case=case, draft=draft, version=version.version,
                                    actor=dc.mediator)
    return document


def test_the_orm_refuses_to_change_a_finalised_document(engine, settings, drafting_case):
    document = finalised(engine, settings, drafting_case)
    with Session(engine) as session:
        row = session.get(Document, document.id)
        row.pdf = row.pdf.replace(b"%PDF-1.7", b"%PDF-1.4")
        session.add(row)
        with pytest.raises(ValueError, match="is final; refused to change pdf"):
            session.flush()
    with Session(engine) as session:
        assert session.get(Document, document.id).sha256 == document.sha256


@pytest.mark.parametrize("statement", [
    "UPDATE documents SET pdf = :junk WHERE id = :id",
    "UPDATE documents SET sha256 = 'ff', inputs_hash = 'ff' WHERE id = :id",
    "UPDATE documents SET template_version = 1 WHERE id = :id",
    "DELETE FROM documents WHERE id = :id",
])
def test_the_database_refuses_to_change_or_delete_a_finalised_document(engine, settings, drafting_case,
                                                                         statement):
    document = finalised(engine, settings, drafting_case)
    with engine.connect() as conn:
        with pytest.raises(DatabaseError, match="final"):
            conn.execute(text(statement), {"junk": b"%PDF-forged", "id": document.id})
        conn.rollback()
    with Session(engine) as session:
        assert session.get(Document, document.id).pdf == document.pdf


def test_the_database_lets_status_move_on_but_a_voided_document_stays_voided(engine, settings, drafting_case):
    document = finalised(engine, settings, drafting_case)
    with engine.begin() as conn:
        conn.execute(text("UPDATE documents SET status = 'signing' WHERE id = :id"), {"id": document.id})
        conn.execute(text("UPDATE documents SET status = 'voided', void_reason = 'x' WHERE id = :id"),
                     {"id": document.id})
    with engine.connect() as conn:
        with pytest.raises(DatabaseError, match="voided"):
            conn.execute(text("UPDATE documents SET status = 'final' WHERE id = :id"), {"id": document.id})
        conn.rollback()


def test_mark_status_follows_signing_and_refuses_going_back(engine, settings, drafting_case):
    from mediation_svc.errors import Conflict

    document = finalised(engine, settings, drafting_case)
    with unit_of_work(engine) as session:
        row = session.get(Document, document.id)
        service.mark_status(session, document=row, status=DocumentStatus.SIGNING, actor="service:signing")
        service.mark_status(session, document=row, status=DocumentStatus.SIGNED, actor="service:signing")
        with pytest.raises(Conflict):
            service.mark_status(session, document=row, status=DocumentStatus.FINAL, actor="service:signing")
    with Session(engine) as session:
        assert session.get(Document, document.id).status == DocumentStatus.SIGNED
        assert service.find_by_code(session, document.verification_code.lower()).id == document.id
        assert [d.id for d in service.find_by_sha256(session, document.sha256.upper())] == [document.id]


def test_finalising_is_one_transaction(engine, settings, drafting_case, monkeypatch):
    """If the case cannot move to signing, no document, no audit entry and no draft link survive."""
    dc = drafting_case
    with unit_of_work(engine) as session:
        case = session.get(Case, dc.case.id)
        draft, _ = service.create_draft(session, settings, case=case, template_id="mediation_agreement",
                                        language="zh-CN", inputs=agreement_terms(), note=None, actor=dc.mediator)
    audit_before = _audit_count(engine)

    def refuse(*args, **kwargs):  # the last step of finalise fails (e.g. the case was withdrawn meanwhile)
        raise RuntimeError("simulated failure while moving the case")

    monkeypatch.setattr(service, "transition", refuse)
    with pytest.raises(RuntimeError, match="simulated"):
        with unit_of_work(engine) as session:
            case = session.get(Case, dc.case.id)
            service.finalise(session, settings, case=case, draft=session.get(Draft, draft.id), version=1,
                             actor=dc.mediator)
    with Session(engine) as session:
        assert session.exec(select(Document)).all() == []
        assert session.get(Draft, draft.id).document_id is None
        assert session.get(Case, dc.case.id).status == "agreement_drafted"
    assert _audit_count(engine) == audit_before

    monkeypatch.undo()  # and once the cause is gone, the same version finalises normally
    with unit_of_work(engine) as session:
        case = session.get(Case, dc.case.id)
        document = service.finalise(session, settings, case=case, draft=session.get(Draft, draft.id), version=1,
                                    actor=dc.mediator)
    with Session(engine) as session:
        assert session.get(Document, document.id).status == DocumentStatus.FINAL
        assert session.get(Case, dc.case.id).status == "signing"


def _audit_count(engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(AuditEntry.seq)).all())


def test_the_orm_refuses_to_delete_a_document(engine, settings, drafting_case):
    document = finalised(engine, settings, drafting_case)
    with Session(engine) as session:
        session.delete(session.get(Document, document.id))
        with pytest.raises(ValueError, match="never deleted"):
            session.flush()
