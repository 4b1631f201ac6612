import pytest

from mediation_svc.cases.states import (MANUAL_TRANSITIONS, TRANSITIONS, CaseStatus, check_manual_transition,
                                        check_transition)
from mediation_svc.errors import InvalidTransition


def test_every_state_is_in_the_table_and_closed_is_final():
    assert set(TRANSITIONS) == set(CaseStatus)
    assert TRANSITIONS[CaseStatus.CLOSED] == frozenset()


@pytest.mark.parametrize("current,target", [
    (CaseStatus.RECEIVED, CaseStatus.SIGNED),
    (CaseStatus.CLOSED, CaseStatus.RECEIVED),
    (CaseStatus.SIGNED, CaseStatus.IN_MEDIATION),
    (CaseStatus.REJECTED, CaseStatus.ACCEPTED),
])
def test_invalid_transitions_raise(current, target):
    with pytest.raises(InvalidTransition):
        check_transition(current, target)


def _move(client, headers, case_id, status, reason=None):
    return client.post(f"/api/v1/cases/{case_id}/transitions", json={"status": status, "reason": reason},
                       headers=headers)


def test_invalid_transition_through_the_api_is_409_with_allowed_states(client, make_case, make_user, auth):
    officer = make_user("case_officer")
    case = make_case(officer=officer)
    response = _move(client, auth(officer), case.id, "signed")
    assert response.status_code == 409
    body = response.json()
    assert body["type"] == "urn:mediation-svc:problem:invalid-transition"
    assert body["current_status"] == "received"
    assert set(body["allowed"]) == {"accepted", "rejected", "withdrawn"}


def test_rejection_needs_a_reason_and_is_audited(client, make_case, make_user, auth):
    officer = make_user("case_officer")
    case = make_case(officer=officer)
    headers = auth(officer)
    assert _move(client, headers, case.id, "rejected").status_code == 422
    response = _move(client, headers, case.id, "rejected", "不属于本中心受理范围")
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    trail = client.get(f"/api/v1/cases/{case.id}/audit", headers=headers).json()
    change = [e for e in trail if e["action"] == "case.status_changed"][-1]
    assert '"to":"rejected"' in change["payload"] and "不属于本中心受理范围" in change["payload"]


def test_a_failed_transition_changes_nothing(client, make_case, make_user, auth):
    officer = make_user("case_officer")
    case = make_case(officer=officer)
    headers = auth(officer)
    before = client.get(f"/api/v1/cases/{case.id}/audit", headers=headers).json()
    _move(client, headers, case.id, "confirmed")
    assert client.get(f"/api/v1/cases/{case.id}", headers=headers).json()["status"] == "received"
    assert client.get(f"/api/v1/cases/{case.id}/audit", headers=headers).json() == before


def test_the_usual_path_to_closed(client, make_case, make_user, auth, engine):
    """By hand: accept, then start mediating; the flows' own moves are refused by the API (and by the page),
    and go through the service as the flows call it; closing is by hand again."""
    from sqlmodel import Session

    from mediation_svc.accounts.models import User
    from mediation_svc.cases.models import Case
    from mediation_svc.cases.service import assign_mediator_user, transition
    from mediation_svc.db import unit_of_work

    officer = make_user("case_officer")
    mediator = make_user("mediator")
    case = make_case(officer=officer)
    headers = auth(officer)
    assert _move(client, headers, case.id, "accepted").status_code == 200
    refused = _move(client, headers, case.id, "mediator_assigned")
    assert refused.status_code == 409 and refused.json()["allowed"] == ["withdrawn"]
    with unit_of_work(engine) as session:
        assign_mediator_user(session, case=session.get(Case, case.id), mediator=session.get(User, mediator.id),
                             actor="test", reason="专业匹配")
    assert _move(client, headers, case.id, "in_mediation").status_code == 200
    for status in ("agreement_drafted", "signing", "signed", "confirmation_requested", "confirmed"):
        response = _move(client, headers, case.id, status)
        assert response.status_code == 409, (status, response.text)
        assert response.json()["type"] == "urn:mediation-svc:problem:invalid-transition"
        assert status not in response.json()["allowed"]
        with unit_of_work(engine) as session:  # the flow's own step
            transition(session, case=session.get(Case, case.id), target=CaseStatus(status), actor="test")
    assert _move(client, headers, case.id, "closed").status_code == 200
    with Session(engine) as session:
        assert session.get(Case, case.id).closed_at is not None


@pytest.mark.parametrize("current,target", [
    (CaseStatus.ACCEPTED, CaseStatus.MEDIATOR_ASSIGNED), (CaseStatus.AGREEMENT_DRAFTED, CaseStatus.SIGNING),
    (CaseStatus.SIGNING, CaseStatus.SIGNED), (CaseStatus.SIGNED, CaseStatus.CONFIRMATION_REQUESTED),
    (CaseStatus.CONFIRMATION_REQUESTED, CaseStatus.CONFIRMED), (CaseStatus.IN_MEDIATION, CaseStatus.ACCEPTED),
])
def test_moves_that_belong_to_their_own_step_are_not_manual(current, target):
    check_transition(current, target)  # the life cycle allows it...
    with pytest.raises(InvalidTransition) as refused:
        check_manual_transition(current, target)  # ...but not by hand
    assert target.value not in refused.value.extensions["allowed"]


def test_every_manual_move_is_a_move_of_the_life_cycle():
    for current, targets in MANUAL_TRANSITIONS.items():
        assert targets <= TRANSITIONS[current], current
