"""Demo agreements (调解协议书), drafted and finalised through the documents service like any mediator's.

- ``critical_illness`` (¥400,000 critical-illness claim refused for a pre-existing condition): a draft with
  two versions (the insurer's first offer of ¥350,000, then ¥380,000 plus the refund of the bank charges),
  the second finalised: the case moves to signing and the signing demo opens a request on that document.
- ``credit_card_penalty`` (credit-card penalties partly waived, instalment plan): a draft with two versions,
  still being negotiated (the case is in agreement_drafted).

Only the terms are given here; case number, centre, parties and mediator come from the case itself.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session

from ..accounts.models import User
from ..cases.states import CaseStatus
from ..config import Settings
from ..timeutil import today_in_shanghai
from . import service
from .models import Document

TEMPLATE = "mediation_agreement"


def _critical_illness_terms(amount: str, *, charges: bool) -> dict[str, Any]:
    today = today_in_shanghai()
    clauses = ["本协议所涉重大疾病保险合同自上述款项支付之日起终止，被申请人不再承担该合同项下的其他保险责任，"
               "双方互不退还已交保险费及已付款项。"]
    if charges:
        clauses.append("因履行本协议发生的银行转账手续费由被申请人承担；各方因本纠纷支出的其他费用各自承担。")
    return {
        "dispute_summary": (
            "申请人于2021年3月向被申请人投保重大疾病保险，基本保险金额人民币肆拾万元。2026年申请人确诊恶性肿瘤后申请理赔，"
            "被申请人以申请人投保前存在既往症、投保时未如实告知为由拒赔。申请人称投保时业务员未询问相关病史，"
            "遂向本中心申请调解，请求被申请人支付重大疾病保险金人民币肆拾万元整。\n"
            "争议焦点为：一、申请人投保时是否违反如实告知义务；二、未告知事项与保险事故之间是否存在因果关系。\n"
            "经调解员组织两次调解会谈（其中一次为视频调解，提供粤语服务），双方在充分了解各自权利义务及诉讼风险的基础上，"
            "本着互谅互让的原则，自愿达成本协议。"),
        "payments": [{"payer": "被申请人", "payee": "申请人", "amount": amount,
                      "due_date": (today + timedelta(days=30)).isoformat(), "method": "银行转账",
                      "account_name": "陈秀兰", "account_bank": "中国工商银行佛山分行营业部",
                      "account_number": "6222 0220 1100 4567 890"}],
        "obligations": ["被申请人应于本协议生效之日起五个工作日内撤销对申请人作出的拒赔决定。",
                        "申请人应于收到上述款项之日起三个工作日内向被申请人出具收款确认书。"],
        "clauses": clauses,
        "place": "佛山市禅城区季华五路调解工作站（视频调解）",
    }


def _credit_card_terms(first_payment: str, waived: str) -> dict[str, Any]:
    today = today_in_shanghai()
    return {
        "dispute_summary": (
            "申请人持有被申请人发行的信用卡，因失业未能按期还款，截至申请调解之日欠款本金人民币叁万贰仟元，"
            "另有违约金及利息共计人民币陆仟陆佰伍拾元。申请人请求减免部分违约金并分期偿还。\n"
            "被申请人同意在申请人按约还款的前提下减免部分违约金及利息。"),
        "payments": [{"payer": "申请人", "payee": "被申请人", "amount": first_payment,
                      "due_date": (today + timedelta(days=20)).isoformat(), "method": "存入信用卡还款账户"}],
        "obligations": [
            f"被申请人同意减免申请人信用卡违约金及利息共计{waived}，并在申请人足额支付首期款项后停止催收。",
            "剩余欠款由申请人自首期还款次月起分十二期按月等额偿还，每月二十日前存入信用卡还款账户。",
            "被申请人应在申请人结清欠款后十个工作日内向中国人民银行征信中心报送结清信息。"],
        "clauses": ["申请人任一期逾期超过三十日的，被申请人有权恢复计收已减免的违约金，并要求申请人一次性偿还剩余欠款。"],
        "place": "广州市天河区珠江新城调解中心第一调解室",
    }


def _motor_claim_terms() -> dict[str, Any]:
    today = today_in_shanghai()
    return {
        "dispute_summary": (
            "申请人驾驶的小型轿车在深圳市南山区被第三方车辆追尾，申请人向被申请人申请车辆损失保险理赔。被申请人核定损失金额"
            "为人民币壹万贰仟元，维修厂报价为人民币壹万陆仟捌佰元，双方对差额人民币肆仟捌佰元存在争议。\n"
            "经调解员组织双方查看维修清单及定损照片，双方确认后保险杠内衬及雷达支架属本次事故损失。"),
        "payments": [{"payer": "被申请人", "payee": "申请人", "amount": "3600.00",
                      "due_date": (today + timedelta(days=15)).isoformat(), "method": "银行转账",
                      "account_name": "王永强", "account_bank": "招商银行深圳南山支行",
                      "account_number": "6225 8801 2345 6789"}],
        "obligations": ["申请人应于收到上述款项之日起三个工作日内向被申请人出具收款确认书。"],
        "clauses": ["本次事故车辆损失理赔事宜就此了结，申请人不再就同一事故向被申请人主张车辆损失保险金。"],
        "place": "深圳市南山区调解工作站",
    }


def _draft_two_versions(session: Session, settings: Settings, case, mediator, first: dict, second: dict,
                        notes: tuple[str, str]):
    draft, version = service.create_draft(session, settings, case=case, template_id=TEMPLATE, language="zh-CN",
                                          inputs=first, note=notes[0], actor=mediator)
    full = {**service.version_inputs(version), **second}
    version = service.save_version(session, settings, case=case, draft=draft, inputs=full, note=notes[1],
                                   base_version=version.version, actor=mediator)
    return draft, version


def _mediator(session: Session, case) -> User:
    """The demo case's mediator, who drafts and finalises its agreement."""
    mediator = session.get(User, case.mediator_user_id) if case.mediator_user_id is not None else None
    if mediator is None:
        raise RuntimeError(f"demo case {case.number} has no mediator to draft its agreement")
    return mediator


def seed(session: Session, settings: Settings, context) -> None:
    finalised: list[Document] = []
    illness = context.cases.get("critical_illness")
    if illness is not None and CaseStatus(illness.status) in service.DRAFTING_STATES:
        mediator = _mediator(session, illness)
        draft, version = _draft_two_versions(
            session, settings, illness, mediator, _critical_illness_terms("350000.00", charges=False),
            _critical_illness_terms("380000.00", charges=True), ("保险公司首次方案", "双方确认的方案：提高赔付金额"))
        finalised.append(service.finalise(session, settings, case=illness, draft=draft, version=version.version,
                                          actor=mediator))
    card = context.cases.get("credit_card_penalty")
    if card is not None and CaseStatus(card.status) in service.DRAFTING_STATES:
        mediator = _mediator(session, card)
        _draft_two_versions(session, settings, card, mediator, _credit_card_terms("5000.00", "人民币肆仟元整"),
                            _credit_card_terms("8000.00", "人民币陆仟陆佰伍拾元整"),
                            ("初步方案", "申请人提高首期还款，银行全额减免违约金及利息"))
    motor = context.cases.get("motor_claim")
    motor_document = None
    if motor is not None and CaseStatus(motor.status) in service.DRAFTING_STATES:
        mediator = _mediator(session, motor)
        draft, version = service.create_draft(session, settings, case=motor, template_id=TEMPLATE,
                                              language="zh-CN", inputs=_motor_claim_terms(), note="双方确认的方案",
                                              actor=mediator)
        motor_document = service.finalise(session, settings, case=motor, draft=draft, version=version.version,
                                          actor=mediator)
    # For the domains seeded after this one: signing opens a request on the critical-illness agreement and has
    # the motor-claim agreement signed by everyone; judicial takes the latter to court.
    context.documents = {key: document for key, document in
                         (("critical_illness", finalised[0] if finalised else None), ("motor_claim", motor_document))
                         if document is not None}
