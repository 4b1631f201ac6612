"""The demo agreements: seeded through the documents service on top of the demo users and cases."""

from __future__ import annotations

import hashlib

from sqlmodel import Session, select

from mediation_svc import demo
from mediation_svc.audit.chain import verify_chain
from mediation_svc.cases.models import Case
from mediation_svc.db import unit_of_work
from mediation_svc.documents import demo as documents_demo
from mediation_svc.documents import service
from mediation_svc.documents.models import Document, Draft
from mediation_svc.documents.rendering import data_attachment


def test_demo_agreements(engine, settings, client, auth):
    context = demo.DemoContext()
    with unit_of_work(engine) as session:
        demo._seed_users(session, context)
        demo._seed_cases(session, settings, context)
        documents_demo.seed(session, settings, context)
    illness, card = context.cases["critical_illness"], context.cases["credit_card_penalty"]
    motor = context.cases["motor_claim"]
    with Session(engine) as session:
        assert session.get(Case, illness.id).status == "signing"
        assert session.get(Case, card.id).status == "agreement_drafted"
        # the motor-claim agreement is finalised for the signing demo to have signed by everyone
        assert session.get(Case, motor.id).status == "signing"
        documents = {d.case_id: d for d in session.exec(select(Document)).all()}
        assert set(documents) == {illness.id, motor.id}
        document = documents[illness.id]
        assert document.status == "final" and document.draft_version == 2
        assert hashlib.sha256(document.pdf).hexdigest() == document.sha256
        assert data_attachment(document.pdf)["inputs"]["payments"][0]["amount"] == "380000.00"
        drafts = {d.case_id: d for d in session.exec(select(Draft)).all()}
        assert drafts[illness.id].latest_version == drafts[card.id].latest_version == 2
        assert drafts[motor.id].latest_version == 1
        assert drafts[card.id].document_id is None
        diff = service.compare_versions(session, draft=drafts[card.id], from_version=1, to_version=2)
        assert {c["path"] for c in diff["changes"]} >= {"payments[0].amount", "obligations[0]"}
        assert verify_chain(session).ok
    # the consumer can download it
    response = client.get(f"/api/v1/documents/{document.id}/pdf", headers=auth(context.users["party.chen"]))
    assert response.status_code == 200 and response.content == document.pdf
