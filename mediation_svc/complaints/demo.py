"""Demo complaints: three months of contacts across the three demo institutions, through the services.

Figures come out near the center's published ones (DOMAIN.md): about 55% of forwarded complaints reported closed
by the institution, about 6 working days to close, a share steered into mediation; an insurer's branch sees a
ring of agent-driven surrender complaints (shared phone, scripted wording, one representative). The demo
``party.bank`` becomes ICBC's complaint staff (an institution account). Deterministic (seeded random).
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlmodel import Session, col, select

from ..cases.models import Institution
from ..cases.schemas import Channel
from ..cases.service import workday_calendar
from ..config import Settings
from ..db import id_of
from ..timeutil import SHANGHAI, today_in_shanghai
from . import service
from .institutions import make_institution_account
from .policy import Outcome, Status
from .schemas import ContactIn, ConvertIn, ExtensionIn, ReplyIn

DAYS = 91
PER_WORKDAY = 2
CONSULTATIONS_PER_WORKDAY = 1
SEED = 17

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗梁宋郑谢韩唐冯"
GIVEN = ["秀兰", "志伟", "淑华", "建华", "桂英", "永强", "玉珍", "国平", "海燕", "晓东", "丽娟", "文杰", "美玲", "建军", "慧敏"]
CHANNELS = [Channel.HOTLINE] * 12 + [Channel.WEB] * 3 + [Channel.WECHAT] * 4 + [Channel.LETTER] * 2 + [Channel.VISIT]
BANK_ISSUES = [
    ("bank_card", "信用卡逾期后被收取违约金和利息，消费者认为计收过高且未提前告知。", "减免违约金并协商分期还款", (2000, 40000)),
    ("loan", "个人消费贷款提前还款被收取高额违约金，合同条款未作提示说明。", "退还提前还款违约金", (1000, 20000)),
    ("wealth_management", "购买的理财产品亏损，风险评估问卷由客户经理代填。", "赔偿本金损失", (10000, 200000)),
    ("bank_card", "银行卡被盗刷，消费者卡片一直在身边，要求银行承担损失。", "赔偿被盗刷资金", (3000, 60000)),
]
INSURER_ISSUES = [
    ("insurance_claim", "住院医疗理赔申请被拒，理由为投保前既往症未告知。", "按合同给付医疗保险金", (5000, 150000)),
    ("insurance_claim", "车辆出险后定损金额低于维修报价，双方对差额存在争议。", "按维修实际费用理赔", (2000, 30000)),
    ("mis_selling", "在银行网点办理存款时被推荐购买保险，以为是定期存款。", "解除合同并全额退还保费", (20000, 200000)),
    ("surrender", "申请退保时现金价值远低于已交保费，销售时被告知可随时全额退还。", "全额退还已交保费", (10000, 80000)),
]
SCRIPT = ("本人于购买该保险时，业务员存在夸大收益、隐瞒退保损失等销售误导行为，未如实告知保险条款，"
          "本人要求全额退还已交保费，否则将向监管部门逐级投诉。")
TOPICS = [("定期存款提前支取如何计息", "提前支取部分按活期利率计息，可部分提前支取。"),
          ("信用卡分期手续费怎么计算", "已说明分期手续费率及折算年化利率，建议向发卡行确认。"),
          ("重疾险理赔需要哪些材料", "已告知理赔申请书、诊断证明、病历等材料清单。"),
          ("调解是否收费", "本中心调解不向消费者收费。"), ("如何申请司法确认", "已告知调解协议生效后30日内可共同申请。")]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _phone(rng: random.Random) -> str:
    return f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"


def _at(day, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randint(9, 16), rng.randint(0, 59)), SHANGHAI)


def _answer_days(rng: random.Random) -> int:
    # Working days from forwarding to the institution's answer: most within a week, a tail up to three weeks.
    return rng.choice([1, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 10, 12, 15])


def seed(session: Session, settings: Settings, context) -> None:
    rng = random.Random(SEED)
    officer = context.users["officer.li"]
    institutions = {i.kind: i for i in session.exec(select(Institution).order_by(col(Institution.id))).all()}
    bank = session.exec(select(Institution).where(col(Institution.kind) == "bank")
                        .order_by(col(Institution.id))).first()
    insurers = session.exec(select(Institution).where(col(Institution.kind) == "insurer")
                            .order_by(col(Institution.id))).all()
    if bank is None or not insurers or not institutions:
        return
    make_institution_account(session, user=context.users["party.bank"], institution_id=id_of(bank), branch=None,
                             actor="seed-demo")
    calendar = workday_calendar(session)
    today = today_in_shanghai()
    day = today - timedelta(days=DAYS)
    while day <= today:
        if calendar.is_workday(day):
            for _ in range(CONSULTATIONS_PER_WORKDAY):
                topic, answer = rng.choice(TOPICS)
                service.record_contact(session, settings, actor=officer, calendar=calendar, data=ContactIn(
                    kind="consultation", channel=rng.choice(CHANNELS), consumer_name=_name(rng), topic=topic,
                    answer=answer, received_at=_at(day, rng)))
            for _ in range(rng.randint(PER_WORKDAY - 1, PER_WORKDAY + 1)):
                _complaint(session, settings, rng, officer, calendar, day, today, bank, insurers)
        day += timedelta(days=1)
    _surrender_ring(session, settings, rng, officer, calendar, today, insurers[0])


def _complaint(session, settings, rng, officer, calendar, day, today, bank, insurers) -> None:
    institution = bank if rng.random() < 0.5 else rng.choice(insurers)
    issues = BANK_ISSUES if institution.kind == "bank" else INSURER_ISSUES
    category, facts, request, (low, high) = rng.choice(issues)
    branch = {"bank": ["天河支行", "越秀支行", "海珠支行"], "insurer": ["佛山中心支公司", "深圳分公司", "广州分公司"]}[institution.kind]
    urgent = rng.random() < 0.03
    received_at = _at(day, rng)
    contact = service.record_contact(session, settings, actor=officer, calendar=calendar, data=ContactIn(
        kind="complaint", channel=rng.choice(CHANNELS), consumer_name=_name(rng), consumer_phone=_phone(rng),
        institution_id=institution.id, institution_branch=rng.choice(branch), category_code=category, facts=facts,
        request=request, amount=Decimal(rng.randint(low, high)), received_at=received_at, urgent=urgent,
        urgent_reason="老年消费者情绪激动，担心资金安全" if urgent else None))
    if day == today and rng.random() < 0.5:
        return  # still waiting to be forwarded today
    service.forward(session, settings, contact=contact, actor=officer, calendar=calendar, notify=False,
                    now=received_at + timedelta(minutes=rng.randint(20, 90)))
    if rng.random() < 0.08:
        service.extend(session, settings, contact=contact, actor=officer, calendar=calendar,
                       data=ExtensionIn(kind="complex", reason="需调取交易流水及录音录像核实"))
    if rng.random() < 0.03:
        service.withdraw(session, contact=contact, actor=officer, reason="消费者来电撤回投诉")
        return
    answered_on = calendar.add_workdays(contact.forwarded_on, _answer_days(rng))
    if answered_on >= today or rng.random() > 0.68:
        if urgent:
            contact.first_response_at = received_at + timedelta(hours=2)
        return
    outcome = rng.choices([Outcome.SETTLED, Outcome.REJECTED, Outcome.MEDIATION_REQUESTED], [62, 30, 8])[0]
    if contact.amount is None:  # every demo complaint is recorded with an amount (above)
        raise RuntimeError(f"demo complaint {contact.number} has no amount")
    amount = (contact.amount * Decimal(rng.choice(["0.3", "0.5", "0.8", "1"]))).quantize(Decimal("1"))
    text = {Outcome.SETTLED: "经与消费者协商，同意按上述金额解决。", Outcome.REJECTED: "经核实，收费及处理符合合同约定，不予支持。",
            Outcome.MEDIATION_REQUESTED: "双方分歧较大，建议申请调解中心调解。"}[outcome]
    service.reply(session, settings, contact=contact, actor=officer, notify=False,
                  now=datetime.combine(answered_on, time(rng.randint(9, 17), 0), SHANGHAI),
                  data=ReplyIn(outcome=outcome, text=text, settled_amount=amount if outcome == Outcome.SETTLED else None))
    answer = rng.random()
    if outcome == Outcome.MEDIATION_REQUESTED or 0.8 < answer <= 0.92:
        if outcome != Outcome.MEDIATION_REQUESTED:
            service.record_consumer_answer(session, contact=contact, accept=False, comment="认为处理结果不合理",
                                           actor="seed-demo")
        service.offer_mediation(session, contact=contact, actor=officer, note="消费者不接受机构答复")
        if rng.random() < 0.5:
            from ..demo import _demo_id_number  # noqa: PLC0415

            service.convert_to_case(session, settings, contact=contact, actor=officer, data=ConvertIn(
                consent="电话确认同意调解", consumer_id_number=_demo_id_number(rng.randint(20, 90)),
                category_code=contact.category_code))
    elif answer <= 0.8:
        service.record_consumer_answer(session, contact=contact, accept=True, comment=None, actor="seed-demo")


def _surrender_ring(session, settings, rng, officer, calendar, today, insurer) -> None:
    """Eight surrender complaints in ten days, filed by one 'consultancy' with one phone and scripted wording."""
    start = today - timedelta(days=20)
    for index in range(8):
        day = calendar.next_workday_on_or_after(start + timedelta(days=index + index // 3))
        contact = service.record_contact(session, settings, actor=officer, calendar=calendar, data=ContactIn(
            kind="complaint", channel=Channel.WEB, consumer_name=_name(rng), consumer_phone=_phone(rng),
            representative_name="刘某（某某法务咨询公司）", contact_phone="13912345678",
            contact_address="广州市白云区某某大厦1208室", refund_account="6222020200112233445" if index % 2 else None,
            institution_id=insurer.id, institution_branch="佛山中心支公司", category_code="surrender", facts=SCRIPT,
            request="全额退还已交保费", amount=Decimal(rng.randint(30000, 90000)), received_at=_at(day, rng)))
        if Status(contact.status) == Status.RECEIVED and day < today:
            service.forward(session, settings, contact=contact, actor=officer, calendar=calendar, notify=False,
                            now=contact.received_at + timedelta(hours=1))
