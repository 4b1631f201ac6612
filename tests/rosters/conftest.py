"""Fixtures for rosters: mediators made through the service, cases moved to 'accepted'."""

from __future__ import annotations

import itertools

import pytest

from mediation_svc.cases.service import transition
from mediation_svc.cases.states import CaseStatus
from mediation_svc.db import unit_of_work
from mediation_svc.rosters.schemas import MediatorIn
from mediation_svc.rosters.service import save_mediator

VALID_CERT = {"name": "人民调解员资格证书", "number": "GD-2024-001", "expires_on": "2099-12-31"}


def mediator_payload(n: int, **overrides) -> dict:
    data = {"username": f"med{n}", "name": f"调解员{n}", "background": "insurance", "years_of_practice": 8,
            "specialties": ["insurance_claim"], "languages": ["普通话", "粤语"], "cities": ["广州"],
            "remote_capable": True, "max_active_cases": 5, "certifications": [VALID_CERT]}
    data.update(overrides)
    return data


@pytest.fixture
def make_mediator(engine):
    counter = itertools.count(1)

    def factory(**overrides):
        with unit_of_work(engine) as session:
            return save_mediator(session, data=MediatorIn(**mediator_payload(next(counter), **overrides)),
                                 actor="test")

    return factory


@pytest.fixture
def officer(make_user):
    return make_user("case_officer")


@pytest.fixture
def accepted_case(engine, make_case, officer):
    """accepted_case(**intake_overrides) -> Case in state 'accepted', ready for a mediator."""

    def factory(**overrides):
        case = make_case(officer=officer, **overrides)
        with unit_of_work(engine) as session:
            case = session.merge(case)
            transition(session, case=case, target=CaseStatus.ACCEPTED, actor="test")
        return case

    return factory
