"""Small factories that make valid Chinese identifiers and case intakes for tests and demo data."""

from __future__ import annotations

from stdnum.cn import ric, uscc


def resident_id(birth: str = "19580312", region: str = "440106", sequence: int = 123) -> str:
    """A resident ID number with a correct check digit (fictitious)."""
    body = f"{region}{birth}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum expects a placeholder check digit


def credit_code(body: str = "91440101MA5CXXXX0") -> str:
    """A unified social credit code with a correct check character (fictitious)."""
    body = body.upper()
    return body + uscc.calc_check_digit(body)


def intake_payload(**overrides) -> dict:
    payload = {
        "channel": "hotline",
        "category_code": "insurance_claim",
        "applicant": {
            "name": "陈秀兰",
            "id_type": "resident_id",
            "id_number": resident_id(),
            "phone": "13800138000",
            "address": "广州市越秀区东风中路100号",
        },
        "respondent": {
            "name": "平安人寿保险股份有限公司广东分公司",
            "kind": "insurer",
            "credit_code": credit_code("91440000723823PJ0"),
            "address": "广州市天河区珠江新城华夏路10号",
            "legal_representative": "李志强",
            "branch": "广州天河支公司",
        },
        "claim_amount": "400000.00",
        "facts": "申请人投保重大疾病保险，确诊后申请理赔，被申请人以既往症为由拒赔。",
        "requests": "请求被申请人支付保险金人民币肆拾万元整。",
        "preferred_language": "粤语",
        "city": "广州",
        "needs_elderly_support": True,
    }
    payload.update(overrides)
    return payload
