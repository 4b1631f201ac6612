"""Least privilege: each role sees only the cases it should; others get 404 (nothing is revealed)."""

from datetime import timedelta

import pytest
from sqlmodel import Session

from mediation_svc.accounts.models import User
from mediation_svc.cases.models import Case, CaseShare
from mediation_svc.cases.service import assign_mediator_user, link_party_user, parties_of, transition
from mediation_svc.cases.states import CaseStatus
from mediation_svc.db import unit_of_work, utcnow


@pytest.fixture
def world(make_user, make_case, engine):
    officer = make_user("case_officer")
    mediator_a, mediator_b = make_user("mediator"), make_user("mediator")
    party_a, party_b = make_user("party"), make_user("party")
    court = make_user("court")
    case_a, case_b = make_case(officer=officer), make_case(officer=officer)
    with unit_of_work(engine) as session:
        for case, mediator, party in ((case_a, mediator_a, party_a), (case_b, mediator_b, party_b)):
            row = session.get(Case, case.id)
            transition(session, case=row, target=CaseStatus.ACCEPTED, actor="test")
            assign_mediator_user(session, case=row, mediator=session.get(User, mediator.id), actor="test", reason=None)
            applicant = next(p for p in parties_of(session, case.id) if p.role == "applicant")
            link_party_user(session, case=row, party_id=applicant.id, user=session.get(User, party.id), actor="test")
    return dict(officer=officer, mediator_a=mediator_a, mediator_b=mediator_b, party_a=party_a, party_b=party_b,
                court=court, case_a=case_a, case_b=case_b)


def _visible_ids(client, headers):
    response = client.get("/api/v1/cases", headers=headers)
    assert response.status_code == 200
    return {c["id"] for c in response.json()}


def test_officer_sees_all(client, auth, world):
    assert _visible_ids(client, auth(world["officer"])) == {world["case_a"].id, world["case_b"].id}


@pytest.mark.parametrize("who,own,other", [("mediator_a", "case_a", "case_b"), ("party_b", "case_b", "case_a")])
def test_mediators_and_parties_see_only_their_own(client, auth, world, who, own, other):
    headers = auth(world[who])
    assert _visible_ids(client, headers) == {world[own].id}
    assert client.get(f"/api/v1/cases/{world[own].id}", headers=headers).status_code == 200
    hidden = client.get(f"/api/v1/cases/{world[other].id}", headers=headers)
    assert hidden.status_code == 404
    assert hidden.json()["type"] == "urn:mediation-svc:problem:not-found"


def test_party_cannot_change_a_case(client, auth, world):
    response = client.post(f"/api/v1/cases/{world['case_a'].id}/transitions", json={"status": "withdrawn",
                           "reason": "x"}, headers=auth(world["party_a"]))
    assert response.status_code == 403


def test_court_sees_only_shared_unexpired_cases(client, auth, world, engine):
    court_headers = auth(world["court"])
    assert _visible_ids(client, court_headers) == set()
    response = client.post(f"/api/v1/cases/{world['case_a'].id}/shares",
                           json={"court_user_id": world["court"].id, "days": 30}, headers=auth(world["officer"]))
    assert response.status_code == 201
    assert _visible_ids(client, court_headers) == {world["case_a"].id}
    assert client.get(f"/api/v1/cases/{world['case_b'].id}", headers=court_headers).status_code == 404
    with Session(engine) as session:
        share = session.get(CaseShare, response.json()["id"])
        share.expires_at = utcnow() - timedelta(minutes=1)
        session.add(share)
        session.commit()
    assert _visible_ids(client, court_headers) == set()


@pytest.mark.parametrize("path", ["shares", "judicial/court-shares"])
def test_a_court_share_lasts_thirty_days_by_default_and_ninety_at_most(client, auth, world, engine, path):
    """One rule for both ways of sharing (cases.deadlines.COURT_SHARE_DAYS): the parties' 30 days to apply for
    judicial confirmation by default; never longer than 90, whichever endpoint is asked."""
    url, officer = f"/api/v1/cases/{world['case_a'].id}/{path}", auth(world["officer"])
    too_long = client.post(url, json={"court_user_id": world["court"].id, "days": 91}, headers=officer)
    assert too_long.status_code == 422 and too_long.json()["type"] == "urn:mediation-svc:problem:validation-error"
    assert _visible_ids(client, auth(world["court"])) == set()
    shared = client.post(url, json={"court_user_id": world["court"].id}, headers=officer)
    assert shared.status_code == 201, shared.text
    with Session(engine) as session:
        days = (session.get(CaseShare, shared.json()["id"]).expires_at - utcnow()) / timedelta(days=1)
    assert 29.99 < days <= 30


def test_the_share_rule_holds_below_the_api_too(engine, world):
    from mediation_svc.cases.service import share_with_court
    from mediation_svc.errors import InvalidInput

    with unit_of_work(engine) as session, pytest.raises(InvalidInput):
        share_with_court(session, case=session.get(Case, world["case_a"].id),
                         court_user=session.get(User, world["court"].id), days=365, actor="test")


def test_expert_without_invitation_sees_nothing(client, auth, world, make_user):
    assert _visible_ids(client, auth(make_user("expert"))) == set()


def test_party_audit_view_hides_staff_detail(client, auth, world):
    trail = client.get(f"/api/v1/cases/{world['case_a'].id}/audit", headers=auth(world["party_a"])).json()
    assert trail and all(set(entry) == {"seq", "at", "action"} for entry in trail)
