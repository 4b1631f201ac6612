"""Case numbers are gap-free even under concurrent intake and rollbacks."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session, select

from mediation_svc.cases.models import Case
from mediation_svc.cases.schemas import CaseIntake
from mediation_svc.cases.service import intake_case, next_case_number
from mediation_svc.db import unit_of_work
from tests.factories import intake_payload


def test_a_rolled_back_intake_gives_its_number_back(engine, settings, make_user, make_case):
    officer = make_user("case_officer")
    with pytest.raises(RuntimeError):
        with unit_of_work(engine) as session:
            next_case_number(session, prefix=settings.case_number_prefix, year=2026)
            raise RuntimeError("failure after the number was taken")
    case = make_case(officer=officer, received_on="2026-05-06")
    assert case.number == "粤正和调〔2026〕第0001号"


@pytest.mark.postgresql_only
def test_twenty_concurrent_intakes_get_twenty_consecutive_numbers(engine, settings, make_user):
    officer = make_user("case_officer")

    def take_in(index: int) -> str:
        data = CaseIntake(**intake_payload(received_on="2026-06-01", facts=f"并发受理 {index}"))
        with unit_of_work(engine) as session:
            return intake_case(session, settings, data=data, actor=officer).number

    with ThreadPoolExecutor(max_workers=20) as pool:
        numbers = list(pool.map(take_in, range(20)))
    expected = {f"粤正和调〔2026〕第{n:04d}号" for n in range(1, 21)}
    assert set(numbers) == expected
    with Session(engine) as session:
        assert len(session.exec(select(Case)).all()) == 20
