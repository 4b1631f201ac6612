"""Realistic, fictitious demo data in Chinese (see shared DOMAIN.md for the figures it follows).

Seeds once: if the demo admin exists, nothing is done. Each domain may add its own part in
``mediation_svc/<domain>/demo.py`` with ``seed(session, settings, context)``; they run in DOMAIN_ORDER.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from .accounts.models import User
from .accounts.schemas import UserCreate
from .accounts.service import create_user
from .cases.schemas import CaseIntake, Channel, ConsumerIn, InstitutionIn
from .cases.service import assign_mediator_user, intake_case, transition
from .cases.states import CaseStatus
from .config import Settings
from .db import id_of, unit_of_work
from .security.roles import Role
from .timeutil import today_in_shanghai

DEMO_PASSWORD = "Demo-2026-mediation"
DOMAIN_ORDER = ("rosters", "scheduling", "documents", "signing", "judicial", "complaints")


@dataclass
class SeedResult:
    message: str
    logins: list[str] = field(default_factory=list)


@dataclass
class DemoContext:
    users: dict[str, User] = field(default_factory=dict)
    cases: dict[str, object] = field(default_factory=dict)


def _check_char(body: str, kind: str) -> str:
    from stdnum.cn import ric, uscc

    return body + (ric.calc_check_digit(body + "0") if kind == "id" else uscc.calc_check_digit(body))


STAFF = [
    ("admin", Role.ADMIN, "系统管理员"),
    ("officer.li", Role.CASE_OFFICER, "李文静"),
    ("officer.zhou", Role.CASE_OFFICER, "周志明"),
    ("officer.he", Role.CASE_OFFICER, "何嘉欣"),
]
MEDIATORS = [
    ("mediator.chen", "陈国栋"), ("mediator.lin", "林晓燕"), ("mediator.huang", "黄伟强"),
    ("mediator.zhang", "张丽华"), ("mediator.liang", "梁志坚"), ("mediator.wu", "吴淑贞"),
    ("mediator.luo", "罗建平"), ("mediator.zheng", "郑美玲"), ("mediator.xie", "谢永康"),
    ("mediator.feng", "冯慧敏"), ("mediator.deng", "邓耀华"), ("mediator.cai", "蔡秋月"),
]
EXPERTS = [
    ("expert.sun", "孙立群（精算师）"), ("expert.ma", "马卫东（主任医师）"), ("expert.gao", "高明远（律师）"),
    ("expert.tang", "唐颖（注册会计师）"), ("expert.qian", "钱伟（金融产品）"), ("expert.yuan", "袁静（临床医学）"),
]

INSTITUTIONS = [
    {"name": "中国工商银行股份有限公司广州分行", "kind": "bank", "credit_code": _check_char("91440101190471234", "uscc"),
     "address": "广州市越秀区沿江西路123号", "legal_representative": "王建国", "branch": "天河支行"},
    {"name": "中国人寿保险股份有限公司广东省分公司", "kind": "insurer",
     "credit_code": _check_char("91440000725066789", "uscc"), "address": "广州市天河区珠江新城花城大道88号",
     "legal_representative": "刘海涛", "branch": "佛山中心支公司"},
    {"name": "中国平安财产保险股份有限公司广东分公司", "kind": "insurer",
     "credit_code": _check_char("91440000734161234", "uscc"), "address": "广州市天河区体育西路160号",
     "legal_representative": "赵明", "branch": "深圳分公司"},
]

# (key, institution index, category, amount, facts, language, city, elderly, target status)
CASES = [
    ("critical_illness", 1, "insurance_claim", "400000.00",
     "申请人于2021年投保重大疾病保险，2026年确诊恶性肿瘤后申请理赔，被申请人以投保前存在既往症未如实告知为由拒赔。"
     "申请人称投保时业务员未询问相关病史。", "粤语", "佛山", True, CaseStatus.SIGNING),
    ("credit_card_penalty", 0, "bank_card", "38650.00",
     "申请人信用卡逾期产生违约金及利息合计人民币叁万捌仟陆佰伍拾元，申请人因失业暂时无力偿还，请求减免部分违约金并分期还款。",
     "普通话", "广州", False, CaseStatus.IN_MEDIATION),
    ("time_deposit", 0, "wealth_management", "1050.00",
     "申请人在柜台办理人民币伍万元定期存款，到期支取时被告知按活期计息，差额约壹仟零伍拾元。申请人称柜员未告知提前支取规则。",
     "潮汕话", "汕头", True, CaseStatus.MEDIATOR_ASSIGNED),
    ("loan_fraud", 0, "loan", "200000.00",
     "申请人手机银行被他人冒用，以申请人名义办理个人消费贷款人民币贰拾万元并转出，申请人请求确认非本人借款并停止催收。",
     "普通话", "广州", False, CaseStatus.ACCEPTED),
    ("surrender_loss", 1, "surrender", "26800.00",
     "申请人于2019年购买分红型年金保险，现申请退保，现金价值远低于已交保费，申请人称销售时被告知可随时全额退还。",
     "客家话", "梅州", True, CaseStatus.RECEIVED),
    ("motor_claim", 2, "insurance_claim", "4800.00",
     "申请人车辆被追尾后申请车损理赔，被申请人核定损失金额低于维修厂报价，双方对差额人民币肆仟捌佰元存在争议。",
     "普通话", "深圳", False, CaseStatus.SIGNED),
    ("mis_selling_elderly", 1, "mis_selling", "150000.00",
     "七十二岁申请人在银行网点办理存款时被推荐购买保险产品，申请人称以为是定期存款，请求解除合同并全额退还保费。",
     "粤语", "广州", True, CaseStatus.MEDIATION_FAILED),
    ("wealth_product", 0, "wealth_management", "52000.00",
     "申请人购买的理财产品到期亏损，申请人称风险评估问卷由客户经理代填，产品风险等级高于其风险承受能力。",
     "普通话", "广州", False, CaseStatus.CLOSED),
]

CONSUMERS = ["陈秀兰", "黄志伟", "林淑华", "李建华", "张桂英", "王永强", "刘玉珍", "杨国平"]


def seed(engine: Engine, settings: Settings, *, force: bool = False) -> SeedResult:
    with Session(engine) as session:
        if not force and session.exec(select(User).where(User.username == "admin")).first():
            return SeedResult("demo data already present; nothing to do", _login_lines())
    context = DemoContext()
    with unit_of_work(engine) as session:
        _seed_users(session, context)
        _seed_cases(session, settings, context)
        for domain in DOMAIN_ORDER:
            try:
                module = importlib.import_module(f"mediation_svc.{domain}.demo")
            except ModuleNotFoundError as exc:
                # A domain without demo data (or not built yet) is skipped; a broken import inside one is not.
                if exc.name not in (f"mediation_svc.{domain}", f"mediation_svc.{domain}.demo"):
                    raise
                continue
            module.seed(session, settings, context)
    return SeedResult(f"demo data seeded: {len(context.users)} users, {len(context.cases)} cases", _login_lines())


def _demo_id_number(index: int) -> str:
    region = f"44{index % 9 + 1:02d}06"
    birth = f"{1948 + index * 4}{index % 12 + 1:02d}{index % 28 + 1:02d}"
    return _check_char(f"{region}{birth}{100 + index * 7:03d}", "id")


def _login_lines() -> list[str]:
    return [
        f"log in at /login with password {DEMO_PASSWORD} as:",
        "  admin (administrator), officer.li (case officer), mediator.chen (mediator),",
        "  party.chen (consumer 陈秀兰), party.bank (ICBC's complaint staff), court.tianhe (court clerk)",
        "staff and court accounts can switch on two-step login (TOTP): POST /api/v1/users/me/second-factor,",
        "  scan the otpauth:// URI with an authenticator app, then POST .../second-factor/confirm {\"code\": \"123456\"};",
        "  the demo accounts start without it, so the demo logins above work as printed",
        "consumers need no account: /my on a phone, with a demo applicant's mobile (13800130000, 13800130001 ...);",
        "  the one-time code is the newest text message at /dev/outbox",
    ]


def _add_user(session: Session, context: DemoContext, username: str, role: Role, name: str, **extra) -> User:
    user = create_user(session, data=UserCreate(username=username, role=role, display_name=name,
                                                password=DEMO_PASSWORD, **extra), actor="seed-demo")
    context.users[username] = user
    return user


def _seed_users(session: Session, context: DemoContext) -> None:
    for username, role, name in STAFF:
        _add_user(session, context, username, role, name, email=f"{username}@zhenghe-mediation.example")
    for index, (username, name) in enumerate(MEDIATORS):
        _add_user(session, context, username, Role.MEDIATOR, name, phone=f"1390200{index:04d}",
                  email=f"{username}@zhenghe-mediation.example")
    for index, (username, name) in enumerate(EXPERTS):
        _add_user(session, context, username, Role.EXPERT, name, phone=f"1371100{index:04d}")
    _add_user(session, context, "party.chen", Role.PARTY, "陈秀兰", phone="13800138000")
    _add_user(session, context, "party.bank", Role.PARTY, "吴海峰（中国工商银行广州分行授权代表）", phone="13600136000")
    _add_user(session, context, "court.tianhe", Role.COURT, "广州市天河区人民法院立案庭",
              organisation="广州市天河区人民法院")


def _seed_cases(session: Session, settings: Settings, context: DemoContext) -> None:
    from .cases.service import link_party_user

    officer = context.users["officer.li"]
    today = today_in_shanghai()
    for index, (key, inst, category, amount, facts, language, city, elderly, target) in enumerate(CASES):
        institution = INSTITUTIONS[inst]
        consumer = CONSUMERS[index]
        intake = CaseIntake(
            channel=(Channel.HOTLINE, Channel.WEB, Channel.WECHAT, Channel.LETTER, Channel.VISIT)[index % 5],
            category_code=category,
            applicant=ConsumerIn(name=consumer, id_type="resident_id", id_number=_demo_id_number(index),
                                 phone=f"1380013{index:04d}", address=f"{city}市示例路{index + 10}号"),
            respondent=InstitutionIn.model_validate(institution),
            claim_amount=Decimal(amount), facts=facts, preferred_language=language, city=city,
            needs_elderly_support=elderly, received_on=today - timedelta(days=3 + index * 6),
        )
        case = intake_case(session, settings, data=intake, actor=officer)
        context.cases[key] = case
        if index == 0:
            applicant = next(p for p in _parties(session, id_of(case)) if p.role == "applicant")
            link_party_user(session, case=case, party_id=applicant.id, user=context.users["party.chen"],
                            actor="seed-demo")
        _advance(session, case, target, context, index)


def _parties(session: Session, case_id: int):
    from .cases.service import parties_of

    return parties_of(session, case_id)


PATH = [CaseStatus.ACCEPTED, CaseStatus.MEDIATOR_ASSIGNED, CaseStatus.IN_MEDIATION,
        CaseStatus.AGREEMENT_DRAFTED, CaseStatus.SIGNING, CaseStatus.SIGNED]


def _advance(session: Session, case, target: CaseStatus, context: DemoContext, index: int) -> None:
    """Walk a case along the usual path to its demo state, through the same service calls as the API."""
    if target == CaseStatus.RECEIVED:
        return
    mediator = context.users[MEDIATORS[index % len(MEDIATORS)][0]]
    terminal = {CaseStatus.MEDIATION_FAILED: CaseStatus.IN_MEDIATION, CaseStatus.CLOSED: CaseStatus.SIGNED}
    goal = terminal.get(target, target)
    if target in (CaseStatus.SIGNING, CaseStatus.SIGNED):
        # documents.demo finalises the agreement, which moves the case to signing; for a signed case the
        # signing demo then has every signer sign it, which moves it on.
        goal = CaseStatus.AGREEMENT_DRAFTED
    for step in PATH:
        if step == CaseStatus.MEDIATOR_ASSIGNED:
            assign_mediator_user(session, case=case, mediator=mediator, actor="seed-demo", reason="演示数据")
        else:
            transition(session, case=case, target=step, actor="seed-demo")
        if step == goal:
            break
    if target == CaseStatus.MEDIATION_FAILED:
        transition(session, case=case, target=target, actor="seed-demo", reason="双方对退保金额分歧较大，调解不成")
    elif target == CaseStatus.CLOSED:
        case.settled_amount = Decimal("31200.00")
        transition(session, case=case, target=target, actor="seed-demo", reason="协议已履行，结案")
