"""Demo rosters: profiles for the 12 demo mediators and 6 experts, four pools, and the assignment history of
the demo cases that already have a mediator (``mediation_svc.demo`` assigned them through ``cases``).

Fictitious people with realistic shapes (see shared DOMAIN.md): part-time mediators from banks, insurers,
law firms and medicine across Guangdong, in 普通话, 粤语, 客家话, 潮汕话 and English. The data is chosen so the
candidate ranking has something to show: 邓耀华 worked for the demo bank until mid-2024 (a current tie, so he
is excluded from its cases), 谢永康's mediator certificate has lapsed, 蔡秋月 is suspended, and 张丽华's
certificate runs out within a month (still eligible). Everything goes through the roster service, so each
entry is validated and audited like one made through the API.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlmodel import Session

from ..audit.chain import record
from ..cases.models import Case
from ..db import id_of
from ..timeutil import SHANGHAI, today_in_shanghai
from .assignment import count_open_cases
from .models import Mediator, MediatorAssignment
from .schemas import ExpertIn, MediatorIn, PoolIn
from .service import save_expert, save_mediator, save_pool

ACTOR = "seed-demo"
MEDIATOR_CERT = "金融纠纷调解员资格证书"
CERT_ISSUER = "广东省银行保险消费纠纷调解工作指导委员会"


def _cert(number: str, issued: date, expires: date | None, name: str = MEDIATOR_CERT,
          issuer: str = CERT_ISSUER) -> dict:
    return {"name": name, "number": number, "issuer": issuer, "issued_on": issued, "expires_on": expires}


def _mediators(today: date, bank: dict) -> dict[str, dict]:
    """Profiles by username. Certificates are placed relative to today so 'expiring soon' stays soon."""
    law_cert = {"name": "法律职业资格证书", "number": "A20084401012345", "issuer": "中华人民共和国司法部",
                "issued_on": date(2008, 3, 1), "expires_on": None}
    return {
        "mediator.chen": dict(background="insurance", years_of_practice=16,
                              specialties=["insurance_claim", "mis_selling", "surrender"],
                              languages=["普通话", "粤语"], cities=["广州", "佛山"], remote_capable=True,
                              max_active_cases=12,
                              certifications=[_cert("GDJR-2023-0107", date(2023, 7, 1), date(2029, 6, 30))]),
        "mediator.lin": dict(background="finance", years_of_practice=11, specialties=["bank_card", "loan"],
                             languages=["普通话", "粤语", "English"], cities=["广州", "深圳"], remote_capable=True,
                             max_active_cases=10,
                             certifications=[_cert("GDJR-2024-0233", date(2024, 3, 15), date(2027, 3, 14))]),
        "mediator.huang": dict(background="finance", years_of_practice=21,
                               specialties=["wealth_management", "bank_card"],
                               languages=["普通话", "潮汕话", "粤语"], cities=["汕头", "潮州", "揭阳"],
                               remote_capable=False, max_active_cases=8,
                               certifications=[_cert("GDJR-2022-0311", date(2022, 9, 1), date(2028, 8, 31))]),
        "mediator.zhang": dict(background="law", years_of_practice=18, specialties=["loan", "bank_card", "other"],
                               languages=["普通话"], cities=["广州"], remote_capable=True, max_active_cases=10,
                               certifications=[law_cert, _cert("GDJR-2023-0042", today - timedelta(days=3 * 365),
                                                               today + timedelta(days=25))]),
        "mediator.liang": dict(background="law", years_of_practice=25,
                               specialties=["loan", "wealth_management", "insurance_claim"],
                               languages=["普通话", "粤语"], cities=["广州", "佛山", "东莞"], remote_capable=True,
                               max_active_cases=10,
                               certifications=[law_cert | {"number": "A20014401019876", "issued_on": date(2001, 4, 1)},
                                               _cert("GDJR-2024-0019", date(2024, 1, 10), date(2030, 1, 9))]),
        "mediator.wu": dict(background="insurance", years_of_practice=12, specialties=["insurance_claim"],
                            languages=["普通话", "粤语"], cities=["深圳", "东莞"], remote_capable=True,
                            max_active_cases=10,
                            certifications=[_cert("GDJR-2023-0388", date(2023, 11, 1), date(2029, 10, 31))]),
        "mediator.luo": dict(background="insurance", years_of_practice=9, specialties=["mis_selling", "surrender"],
                             languages=["普通话", "客家话", "粤语"], cities=["梅州", "河源", "广州"],
                             remote_capable=True, max_active_cases=8,
                             certifications=[_cert("GDJR-2025-0051", date(2025, 2, 1), date(2028, 1, 31))]),
        "mediator.zheng": dict(background="finance", years_of_practice=7,
                               specialties=["wealth_management", "bank_card"], languages=["普通话", "潮汕话"],
                               cities=["广州", "汕头"], remote_capable=True, max_active_cases=8,
                               certifications=[_cert("GDJR-2024-0402", date(2024, 6, 1), date(2027, 5, 31))]),
        "mediator.xie": dict(background="medicine", years_of_practice=22, specialties=["insurance_claim"],
                             languages=["普通话", "客家话"], cities=["韶关", "梅州"], remote_capable=True,
                             max_active_cases=6,
                             certifications=[{"name": "医师资格证书", "number": "199744110000231",
                                              "issuer": "中华人民共和国卫生部", "issued_on": date(1997, 9, 1),
                                              "expires_on": None},
                                             _cert("GDJR-2022-0150", today - timedelta(days=3 * 365 + 40),
                                                   today - timedelta(days=40))]),
        "mediator.feng": dict(background="law", years_of_practice=6, specialties=["loan", "bank_card"],
                              languages=["普通话", "粤语", "English"], cities=["珠海", "中山", "江门"],
                              remote_capable=True, max_active_cases=6,
                              certifications=[_cert("GDJR-2025-0133", date(2025, 5, 20), date(2028, 5, 19))]),
        "mediator.deng": dict(background="finance", years_of_practice=23, specialties=["loan", "bank_card"],
                              languages=["普通话", "粤语"], cities=["广州"], remote_capable=False,
                              max_active_cases=8,
                              certifications=[_cert("GDJR-2024-0517", date(2024, 9, 1), date(2030, 8, 31))],
                              affiliations=[{"credit_code": bank["credit_code"], "institution_name": bank["name"],
                                             "relation": "任职（个人信贷部总经理）", "started_on": date(2003, 7, 1),
                                             "ended_on": date(2024, 6, 30)}]),
        "mediator.cai": dict(background="insurance", years_of_practice=8, specialties=["insurance_claim", "surrender"],
                             languages=["普通话", "潮汕话", "粤语"], cities=["汕头"], remote_capable=False,
                             max_active_cases=8, status="suspended",
                             status_reason="当事人投诉其调解中泄露个人信息，调查期间暂停指派",
                             certifications=[_cert("GDJR-2023-0275", date(2023, 5, 1), date(2029, 4, 30))]),
    }


POOLS = [
    ("保险理赔与人身险调解员库", "财产险与人身险理赔、销售误导、退保纠纷",
     ["insurance_claim", "mis_selling", "surrender"],
     ["mediator.chen", "mediator.wu", "mediator.luo", "mediator.xie", "mediator.liang", "mediator.cai"]),
    ("银行卡与信贷调解员库", "信用卡违约金与分期、个人贷款、冒名贷款纠纷", ["bank_card", "loan"],
     ["mediator.lin", "mediator.zhang", "mediator.liang", "mediator.feng", "mediator.deng", "mediator.huang"]),
    ("理财与存款调解员库", "理财产品适当性、存款计息及其他银行业务纠纷", ["wealth_management", "other"],
     ["mediator.huang", "mediator.zheng", "mediator.lin", "mediator.deng", "mediator.zhang"]),
    # Serves no category of its own: membership marks who takes claims up to ¥5,000 the same day.
    ("小额纠纷快速处理调解员库", "争议金额5000元以下的小额纠纷，当日指定调解员、2个工作日内联系当事人", [],
     ["mediator.wu", "mediator.feng", "mediator.lin"]),
]


def _experts(insurer: dict) -> dict[str, dict]:
    return {
        "expert.sun": dict(name="孙立群", field="actuarial", title="教授、中国精算师", organisation="中山大学岭南学院",
                           qualifications=["中国精算师（FCAA）", "博士生导师"], cities=["广州"]),
        "expert.ma": dict(name="马卫东", field="medical", title="主任医师", organisation="广东省人民医院肿瘤内科",
                          qualifications=["医师资格证书", "司法鉴定人执业证（法医临床）"], cities=["广州", "佛山"]),
        "expert.gao": dict(name="高明远", field="legal", title="高级合伙人、律师", organisation="广东粤正律师事务所",
                           qualifications=["律师执业证", "广州仲裁委员会仲裁员"], cities=["广州", "深圳"],
                           affiliations=[{"credit_code": insurer["credit_code"], "institution_name": insurer["name"],
                                          "relation": "常年法律顾问", "started_on": date(2019, 1, 1)}]),
        "expert.tang": dict(name="唐颖", field="accounting", title="副教授、注册会计师",
                            organisation="暨南大学管理学院", qualifications=["注册会计师（CPA）"], cities=["广州"],
                            availability="limited", availability_note="学期内每周二、周四下午可参加评估会议"),
        "expert.qian": dict(name="钱伟", field="financial_products", title="教授",
                            organisation="华南理工大学经济与金融学院",
                            qualifications=["特许金融分析师（CFA）", "原基金经理（2008—2016）"], cities=["广州", "深圳"]),
        "expert.yuan": dict(name="袁静", field="medical", title="副主任医师",
                            organisation="中山大学附属第一医院心血管内科", qualifications=["医师资格证书"],
                            cities=["广州"], availability="unavailable",
                            availability_note="出国访学，预计2027年3月返岗"),
    }


def _assigned_at(case: Case) -> datetime:
    """The demo cases were assigned the working day after they were received, at 10:00 Shanghai time."""
    return datetime.combine(case.received_on + timedelta(days=1), time(10, 0), SHANGHAI).astimezone(timezone.utc)


def seed(session: Session, settings, context) -> None:
    from ..demo import INSTITUTIONS

    today = today_in_shanghai()
    users = context.users
    mediators: dict[str, Mediator] = {}
    for username, profile in _mediators(today, INSTITUTIONS[0]).items():
        user = users[username]
        mediators[username] = save_mediator(session, data=MediatorIn(user_id=user.id, name=user.display_name,
                                                                     **profile), actor=ACTOR)
    for name, description, categories, members in POOLS:
        save_pool(session, actor=ACTOR, data=PoolIn(name=name, description=description, categories=categories,
                                                    mediator_ids=[id_of(mediators[m]) for m in members]))
    for username, profile in _experts(INSTITUTIONS[1]).items():
        save_expert(session, data=ExpertIn(user_id=users[username].id, **profile), actor=ACTOR)
    _backfill_assignments(session, context, mediators)


def _backfill_assignments(session: Session, context, mediators: dict[str, Mediator]) -> None:
    """Record the demo cases' existing mediators in the assignment history and the ranking aggregates."""
    by_user = {m.user_id: m for m in mediators.values()}
    cases = sorted((c for c in context.cases.values() if c.mediator_user_id in by_user), key=_assigned_at)
    for case in cases:
        mediator = by_user[case.mediator_user_id]
        at = _assigned_at(case)
        reason = "受理时由办案员指定（演示数据）"
        session.add(MediatorAssignment(case_id=case.id, mediator_id=id_of(mediator), assigned_at=at, mode="manual",
                                       reason=reason, assigned_by_user_id=case.officer_user_id))
        mediator.last_assigned_at = max(filter(None, (mediator.last_assigned_at, at)))
        mediator.assignments_total += 1
        record(session, actor=ACTOR, action="rosters.mediator_assigned", subject=f"case:{case.id}",
               case_id=case.id, payload={"mediator_id": mediator.id, "mediator_user_id": mediator.user_id,
                                         "mode": "manual", "reason": reason, "backfilled": True})
    for mediator in mediators.values():
        mediator.active_cases = count_open_cases(session, user_id=mediator.user_id)
        session.add(mediator)
    session.flush()
