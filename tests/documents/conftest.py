from __future__ import annotations

from dataclasses import dataclass

import pytest

from mediation_svc.documents import samples


@dataclass
class DraftingCase:
    case: object
    officer: object
    mediator: object
    party: object
    court: object


@pytest.fixture
def drafting_case(engine, make_user, make_case) -> DraftingCase:
    """A case in mediation with its mediator, a linked consumer account and a court it is shared with."""
    from mediation_svc.cases.service import (assign_mediator_user, link_party_user, parties_of, share_with_court,
                                             transition)
    from mediation_svc.cases.states import CaseStatus
    from mediation_svc.db import unit_of_work

    officer = make_user("case_officer")
    mediator = make_user("mediator", display_name="张立新")
    party = make_user("party", display_name="陈秀兰")
    court = make_user("court", display_name="天河区人民法院")
    case = make_case(officer)
    with unit_of_work(engine) as session:
        session.add(case)
        transition(session, case=case, target=CaseStatus.ACCEPTED, actor="test")
        assign_mediator_user(session, case=case, mediator=mediator, actor="test", reason=None)
        transition(session, case=case, target=CaseStatus.IN_MEDIATION, actor="test")
        applicant = next(p for p in parties_of(session, case.id) if p.role == "applicant")
        link_party_user(session, case=case, party_id=applicant.id, user=party, actor="test")
        share_with_court(session, case=case, court_user=court, days=30, actor="test")
    return DraftingCase(case=case, officer=officer, mediator=mediator, party=party, court=court)


def agreement_terms(**overrides) -> dict:
    """The terms a mediator types; number, centre, parties and mediator come from the case."""
    inputs = {k: v for k, v in samples.agreement().items()
              if k not in ("case_number", "center_name", "parties", "mediators", "agreement_date")}
    inputs.update(overrides)
    return inputs
