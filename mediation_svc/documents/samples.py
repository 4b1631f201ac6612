"""Seed inputs for every template: realistic (DOMAIN.md's typical cases), fictitious people.

Used by the tests, by ``bench/render.py`` and for looking at the templates. The identifiers carry
correct check digits but belong to no one.
"""

from __future__ import annotations

from typing import Any

CONSUMER: dict[str, Any] = {
    "role": "applicant", "kind": "person", "name": "陈秀兰", "id_type": "resident_id",
    "id_number": "440106195803121237", "address": "广东省广州市越秀区东风中路100号3栋502房",
    "phone": "13800138000",
}
INSURER = {
    "role": "respondent", "kind": "institution", "name": "平安人寿保险股份有限公司广东分公司",
    "credit_code": "91440000723823PJ0X", "address": "广东省广州市天河区珠江新城华夏路10号",
    "phone": "020-38888888", "representative_name": "李志强", "representative_title": "总经理",
    "agent": {"name": "王晓明", "id_number": "440104198806150032", "phone": "13922223333", "authority": "特别授权"},
}
CENTER = "广东正和银行保险消费纠纷调解中心"
CASE_NUMBER = "粤正和调〔2026〕第0128号"

DISPUTE = (
    "申请人于2019年3月向被申请人投保重大疾病保险，基本保险金额人民币肆拾万元。2025年8月，申请人经广州市第一人民"
    "医院确诊患有恶性肿瘤，随即向被申请人申请理赔。被申请人以申请人投保前已患有慢性乙型肝炎、投保时未如实告知为由，"
    "作出拒赔决定。申请人认为，其投保时被申请人未就相关健康问题进行明确询问，所患疾病与既往病症无因果关系，"
    "遂向本中心申请调解，请求被申请人支付重大疾病保险金人民币肆拾万元整。\n"
    "争议焦点为：一、申请人投保时是否违反如实告知义务；二、未告知事项与保险事故之间是否存在因果关系；"
    "三、被申请人应否承担保险责任及责任范围。\n"
    "调解过程中，调解员组织双方进行了两次调解会谈，听取了双方陈述，审阅了投保单、健康告知书、病历及理赔材料，"
    "并邀请保险法专家出具了中立评估意见。双方在充分了解各自权利义务及诉讼风险的基础上，本着互谅互让的原则，"
    "自愿达成本协议。"
)


def agreement(**overrides: Any) -> dict[str, Any]:
    """Inputs of the zh-CN mediation agreement: a critical-illness claim settled in two payments (CNY
    380,000.00 and 16,409.02); ``overrides`` replace top-level keys, as in every sample here."""
    data = {
        "case_number": CASE_NUMBER,
        "center_name": CENTER,
        "parties": [CONSUMER, INSURER],
        "mediators": [{"name": "张立新", "title": "调解员"}],
        "experts": [{"name": "刘建华", "title": "中山大学法学院教授"}],
        "dispute_summary": DISPUTE,
        "payments": [
            {"payer": "被申请人", "payee": "申请人", "amount": "380000.00", "due_date": "2026-12-31",
             "method": "银行转账", "account_name": "陈秀兰", "account_bank": "中国工商银行广州东风路支行",
             "account_number": "6222 0236 0201 2345 678"},
            {"payer": "被申请人", "payee": "申请人", "amount": "16409.02", "due_date": "2027-01-15",
             "method": "银行转账", "account_name": "陈秀兰", "account_bank": "中国工商银行广州东风路支行",
             "account_number": "6222 0236 0201 2345 678"},
        ],
        "obligations": [
            "被申请人应于收到本协议之日起五个工作日内撤销对申请人作出的拒赔决定，并恢复申请人名下其他保险合同的正常状态。",
            "申请人应于收到上述第一笔款项之日起三个工作日内，向被申请人出具收款确认书，并撤回就本纠纷向监管部门提出的投诉。",
        ],
        "clauses": [
            "本协议所涉重大疾病保险合同自上述款项全部支付之日起终止，被申请人不再承担该合同项下的其他保险责任，"
            "双方互不退还已交保险费及已付款项。",
            "因履行本协议发生的银行转账手续费由被申请人承担；各方因本纠纷支出的其他费用各自承担。",
        ],
        "confidentiality": True,
        "waiver": True,
        "copies": 3,
        "place": "广州市天河区珠江新城调解中心第二调解室",
        "organisation_kind": "mediation_organisation",
    }
    data.update(overrides)
    return data


def agreement_v1(**overrides: Any) -> dict[str, Any]:
    """Inputs of the zh-CN template v1 (a typed agreement date, no organisation kind)."""
    data = {k: v for k, v in agreement().items() if k != "organisation_kind"}
    data.update(agreement_date="2026-11-23", **overrides)
    return data


def agreement_en(**overrides: Any) -> dict[str, Any]:
    """The same agreement for the English template: names in pinyin, shorter texts, the same amounts."""
    data = agreement(
        case_number="Yue Zhenghe Mediation (2026) No. 0128",
        center_name="Guangdong Zhenghe Banking and Insurance Dispute Mediation Center",
        parties=[
            {**CONSUMER, "name": "CHEN Xiulan", "address": "Room 502, Bldg 3, 100 Dongfeng Middle Rd, Guangzhou"},
            {**INSURER, "name": "Ping An Life Insurance Co., Ltd., Guangdong Branch",
             "address": "10 Huaxia Rd, Zhujiang New Town, Tianhe, Guangzhou", "representative_name": "LI Zhiqiang",
             "representative_title": "General Manager",
             "agent": {"name": "WANG Xiaoming", "authority": "special authorisation"}},
        ],
        mediators=[{"name": "ZHANG Lixin", "title": "Mediator"}],
        experts=[{"name": "LIU Jianhua", "title": "Professor of Law, Sun Yat-sen University"}],
        dispute_summary=(
            "In March 2019 the Applicant took out critical illness insurance with the Respondent (sum insured "
            "CNY 400,000). In August 2025 she was diagnosed with a malignant tumour and claimed; the Respondent "
            "refused the claim for non-disclosure of a pre-existing condition.\nThe points in dispute are whether "
            "the duty of disclosure was breached, whether the undisclosed condition caused the insured event, and "
            "the extent of the Respondent's liability."),
        obligations=["The Respondent shall withdraw its refusal decision within five working days."],
        clauses=["Bank charges for the payments are borne by the Respondent."],
        place="Mediation Room 2, Zhujiang New Town, Guangzhou",
    )
    for payment in data["payments"]:
        payment.update(payer="the Respondent", payee="the Applicant", method="bank transfer",
                       account_name="CHEN Xiulan", account_bank="ICBC Guangzhou Dongfeng Road Sub-branch")
    data.update(overrides)
    return data


def session_notice(**overrides: Any) -> dict[str, Any]:
    """Inputs of the zh-CN session notice: an on-site session, 2026-12-02 09:30 to 11:30."""
    data = {
        "case_number": CASE_NUMBER, "center_name": CENTER, "recipient": "陈秀兰",
        "parties": [CONSUMER, INSURER], "starts_at": "2026-12-02T09:30:00", "ends_at": "2026-12-02T11:30:00",
        "mode": "onsite", "venue": "广州市天河区珠江新城华夏路8号合景国际金融广场12楼 第二调解室",
        "mediators": [{"name": "张立新", "title": "调解员"}],
        "bring": ["本人居民身份证原件及复印件", "保险合同、投保单及健康告知书", "病历、诊断证明及理赔申请材料",
                  "委托他人参加的，须提交授权委托书及受托人身份证件"],
        "contact_phone": "4009-888-188", "issued_on": "2026-11-23",
    }
    data.update(overrides)
    return data


def session_notice_en(**overrides: Any) -> dict[str, Any]:
    """The English session notice: an online session with a meeting link and no venue."""
    return session_notice(**{
        "recipient": "Chen Xiulan", "mode": "online", "venue": None,
        "meeting_link": "https://meet.example.org/mediation/tjhy-7f3k9q2m",
        "mediators": [{"name": "Zhang Lixin", "title": "Mediator"}],
        "bring": ["Your identity document (to be shown on video)",
                  "Evidence about the dispute (please upload it beforehand)"],
        **overrides})


def session_record(**overrides: Any) -> dict[str, Any]:
    """Inputs of the record of a first, hybrid session (one attendee remote), adjourned."""
    data = {
        "case_number": CASE_NUMBER, "center_name": CENTER, "parties": [CONSUMER, INSURER], "session_number": 1,
        "starts_at": "2026-11-25T09:30:00", "ends_at": "2026-11-25T11:40:00", "mode": "hybrid",
        "venue": "广州市天河区珠江新城华夏路8号合景国际金融广场12楼 第二调解室",
        "mediators": [{"name": "张立新", "title": "调解员"}], "recorder": "李文静",
        "attendees": [{"name": "张立新", "capacity": "调解员", "attendance": "present"},
                      {"name": "陈秀兰", "capacity": "申请人", "attendance": "present"},
                      {"name": "王晓明", "capacity": "被申请人委托代理人", "attendance": "remote"}],
        "minutes": ("申请人陈述：2025年8月确诊后申请理赔，被申请人以未如实告知为由拒赔；投保时业务员未询问肝炎病史，"
                    "请求支付重大疾病保险金人民币肆拾万元。\n"
                    "被申请人委托代理人陈述：健康告知书第7项明确询问肝脏疾病，申请人勾选“否”；愿在核实病历后考虑协商方案。\n"
                    "调解员归纳争议焦点，释明如实告知义务与因果关系的法律规定，建议双方补充2018年以来的门诊病历后再行协商。\n"
                    "双方同意于十个工作日内提交补充材料，由调解员另行安排第二次调解。"),
        "outcome": "adjourned", "confirmed_at": "2026-11-25T12:05:00",
    }
    data.update(overrides)
    return data


def neutral_evaluation(**overrides: Any) -> dict[str, Any]:
    """Inputs of an expert's neutral evaluation opinion, suggesting CNY 380,000.00."""
    data = {
        "case_number": CASE_NUMBER, "center_name": CENTER, "parties": [CONSUMER, INSURER],
        "evaluators": [{"name": "刘建华", "title": "中山大学法学院教授"}],
        "facts": DISPUTE.split("\n")[0],
        "issues": ["申请人投保时是否违反如实告知义务。", "未告知事项与保险事故之间是否存在因果关系。"],
        "analysis": ("根据《中华人民共和国保险法》第十六条，投保人的告知义务以保险人询问的范围和内容为限。本案健康告知书"
                     "未就慢性肝炎作出明确询问，被申请人以此拒赔的依据不足；且现有病历不能证明既往病症与所患恶性肿瘤"
                     "存在因果关系。"),
        "opinion": "评估人认为，若诉至法院，被申请人承担全部或大部分保险责任的可能性较大，建议双方在保险金额九成至全额之间协商解决。",
        "suggested_amount": "380000.00", "issued_on": "2026-11-20",
    }
    data.update(overrides)
    return data


def judicial_application(**overrides: Any) -> dict[str, Any]:
    """Inputs of the joint application for judicial confirmation of the sample agreement, with
    both parties' service addresses (``service_address``)."""
    data = {
        "court_name": "广州市天河区人民法院", "case_number": CASE_NUMBER, "center_name": CENTER,
        "applicants": [CONSUMER, INSURER], "agreement_date": "2026-11-23",
        "agreement_document_id": "0b7c6a52-3f7e-4f7a-9d54-1c2b3a4d5e6f",
        "agreement_summary": ("被申请人于2026年12月31日前向申请人支付人民币叁拾捌万元整，于2027年1月15日前支付人民币"
                              "壹万陆仟肆佰零玖元零贰分；双方就本纠纷再无其他争议。"),
        "materials": [{"name": "调解协议书"}, {"name": "双方当事人身份证明、营业执照及法定代表人身份证明", "copies": 2},
                      {"name": "授权委托书及代理人身份证件"}, {"name": "与纠纷有关的保险合同、理赔材料"},
                      {"name": "送达地址确认书", "copies": 2}],
        "applied_on": "2026-11-25", "mediators": [{"name": "张立新", "title": "调解员"}],
        "organisation_kind": "mediation_organisation",
        "service_addresses": [service_address(CONSUMER)["service"], service_address(INSURER)["service"]],
    }
    data.update(overrides)
    return data


def service_address(party: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    """送达地址确认书 of one party (the consumer unless another is given)."""
    party = party or CONSUMER
    data = {
        "case_number": CASE_NUMBER, "center_name": CENTER, "court_name": "广州市天河区人民法院", "parties": [party],
        "service": {"address": party.get("address") or "广东省广州市越秀区东风中路100号3栋502房", "postcode": "510030",
                    "phone": party.get("phone") if party.get("kind") == "person" else party["agent"]["phone"],
                    "email": "chenxl@example.cn", "recipient": None, "electronic_consent": True,
                    "electronic_channels": ["sms", "email"]},
    }
    data.update(overrides)
    return data


def evidence_report(**overrides: Any) -> dict[str, Any]:
    """Inputs of the signing evidence report: four signatures (two remote with an SMS code, the
    mediator on site, the center's seal), times in UTC."""
    data = {
        "case_number": CASE_NUMBER, "center_name": CENTER, "document_title": "调解协议书",
        "document_id": "0b7c6a52-3f7e-4f7a-9d54-1c2b3a4d5e6f",
        "document_sha256": "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b",
        "signed_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "signatures": [
            {"role": "申请人", "signer": "陈秀兰", "method": "远程签署（短信验证码）", "signed_at": "2026-11-23T06:12:09Z",
             "certificate_subject": "CN=陈秀兰, O=个人", "certificate_serial": "5A:3F:11:9C:02",
             "certificate_issuer": "CN=正和调解中心签名CA", "timestamp_at": "2026-11-23T06:12:10Z",
             "ip_address": "113.108.XX.XX", "otp_channel": "短信 138****8000"},
            {"role": "被申请人", "signer": "平安人寿保险股份有限公司广东分公司（王晓明）", "method": "远程签署（短信验证码）",
             "signed_at": "2026-11-23T06:40:51Z", "certificate_subject": "CN=王晓明, O=平安人寿保险股份有限公司广东分公司",
             "certificate_serial": "5A:3F:11:9C:03", "certificate_issuer": "CN=正和调解中心签名CA",
             "timestamp_at": "2026-11-23T06:40:52Z"},
            {"role": "调解员", "signer": "张立新", "method": "现场签署", "signed_at": "2026-11-23T07:02:00Z",
             "certificate_subject": "CN=张立新, O=广东正和银行保险消费纠纷调解中心", "timestamp_at": "2026-11-23T07:02:01Z"},
            {"role": "调解组织印章", "signer": CENTER, "method": "电子印章", "signed_at": "2026-11-23T07:05:30Z",
             "certificate_subject": "CN=广东正和银行保险消费纠纷调解中心", "timestamp_at": "2026-11-23T07:05:31Z"},
        ],
        "audit_head_hash": "c0535e4be2b79ffd93291305436bf889314e4a3faec05ecffcbb7df31ad9e51a",
        "generated_at": "2026-11-23T07:06:00Z",
    }
    data.update(overrides)
    return data


SAMPLES = {
    ("mediation_agreement", "zh-CN"): agreement,
    ("mediation_agreement", "en"): agreement_en,
    ("session_notice", "zh-CN"): session_notice,
    ("session_notice", "en"): session_notice_en,
    ("session_record", "zh-CN"): session_record,
    ("neutral_evaluation", "zh-CN"): neutral_evaluation,
    ("judicial_application", "zh-CN"): judicial_application,
    ("service_address", "zh-CN"): service_address,
    ("signing_evidence_report", "zh-CN"): evidence_report,
}
