"""Reading an application while an officer files it (PostgreSQL): a page load moves 'signing' to 'signed' once the
application is signed; when the officer's package build had filed it meanwhile, the read put it back to 'signed'
(the court's ruling form gone, "build the package" offered again). Now the move is a compare-and-set."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from mediation_svc.audit.models import AuditEntry
from mediation_svc.db import unit_of_work
from mediation_svc.judicial import service
from mediation_svc.judicial.models import JudicialApplication
from tests.reliability.test_lock_order import wait_for_a_lock_wait
from tests.signing.flow import request_on_finalised_agreement

pytestmark = pytest.mark.postgresql_only


def test_a_read_while_the_package_is_filed_does_not_put_the_application_back(client, engine, settings, auth,
                                                                            make_user, make_case):
    officer, case, document, request_id = request_on_finalised_agreement(client, engine, settings, auth, make_user,
                                                                         make_case)
    with unit_of_work(engine) as session:  # an application whose signing request has just completed
        session.execute(text("UPDATE signing_requests SET status = 'completed' WHERE id = :id"), {"id": request_id})
        application = JudicialApplication(case_id=case.id, agreement_document_id=document.id,
                                          application_document_id=document.id, signing_request_id=request_id,
                                          court_name="广州市天河区人民法院", created_by_user_id=officer.id)
        session.add(application)
        session.flush()
        application_id = application.id

    def read_the_application() -> str:
        with unit_of_work(engine) as session:
            return service.refresh_status(session, session.get(JudicialApplication, application_id)).status

    with engine.connect() as building, ThreadPoolExecutor(max_workers=1) as pool:
        # The officer's build: the application locked, moved on to 'filed', the package still being made.
        building.execute(text("UPDATE judicial_applications SET status = 'filed' WHERE id = :id"),
                         {"id": application_id})
        reading = pool.submit(read_the_application)
        wait_for_a_lock_wait(engine)
        building.commit()
        assert reading.result(timeout=120) == "filed"
    with Session(engine) as session:
        assert session.get(JudicialApplication, application_id).status == "filed"
        assert session.exec(select(AuditEntry).where(AuditEntry.action == "judicial.application_signed")).all() == []

    # Without the race the same read makes the move, once.
    with engine.begin() as conn:
        conn.execute(text("UPDATE judicial_applications SET status = 'signing' WHERE id = :id"), {"id": application_id})
    assert read_the_application() == "signed" and read_the_application() == "signed"
    with Session(engine) as session:
        assert len(session.exec(select(AuditEntry).where(AuditEntry.action == "judicial.application_signed")).all()) == 1
