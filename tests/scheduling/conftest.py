from __future__ import annotations

from types import SimpleNamespace

import pytest

from .helpers import make_venue, ready_case


@pytest.fixture
def world(engine, make_user, make_case):
    """An officer, two mediators, a case for each (same applicant data), a venue with two rooms."""
    officer = make_user("case_officer")
    mediator = make_user("mediator", display_name="王敏", email="wangmin@example.org", phone="13900000001")
    other_mediator = make_user("mediator", display_name="李娜", email="lina@example.org")
    venue = make_venue(engine)
    return SimpleNamespace(
        officer=officer, mediator=mediator, other_mediator=other_mediator, venue=venue,
        case=ready_case(engine, make_case, officer, mediator),
        make_ready_case=lambda med=None: ready_case(engine, make_case, officer, med or mediator),
    )
