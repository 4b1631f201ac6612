"""What a report says about *how* each signature was judged: at what time, on which proof of existence,
and with which revocation data (ETSI EN 319 102-1 §5.6.2.4, the "validation time" of past validation),
in Chinese and English, with times in Beijing time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from .schemas import Revocation, ValidationBasis

BEIJING = ZoneInfo("Asia/Shanghai")

POE_ZH = {"signature_timestamp": "签名时间戳", "document_timestamp": "其后的文档时间戳",
          "validation_time": "核验时刻", "none": "无存在证明"}
POE_EN = {"signature_timestamp": "signature timestamp", "document_timestamp": "the next document timestamp",
          "validation_time": "validation time", "none": "no proof of existence"}
REVINFO_ZH = {"crl": "证书吊销列表（CRL）", "ocsp": "在线证书状态应答（OCSP）"}
REVINFO_EN = {"crl": "CRL", "ocsp": "OCSP response"}


def _zh(moment: dt.datetime) -> str:
    local = moment.astimezone(BEIJING)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def _en(moment: dt.datetime) -> str:
    return f"{moment.astimezone(BEIJING):%Y-%m-%d %H:%M} Beijing time"


def describe_basis(*, poe: str, poe_time: dt.datetime | None, validated_at: dt.datetime,
                   not_before: dt.datetime | None, not_after: dt.datetime | None,
                   revocation: Revocation | None) -> ValidationBasis:
    valid_then = None
    if not_before is not None and not_after is not None:
        valid_then = not_before <= validated_at <= not_after
    if poe == "validation_time":  # nothing later vouches for it (the newest document timestamp): as of now
        zh = [f"其后没有时间戳，按核验时刻 {_zh(validated_at)} 核验"]
        en = [f"nothing later vouches for it: validated as of the validation time, {_en(validated_at)}"]
    else:
        zh = [f"{POE_ZH[poe]} {_zh(poe_time)}" if poe_time else POE_ZH[poe]]
        en = [f"{POE_EN[poe]} {_en(poe_time)}" if poe_time else POE_EN[poe]]
    if poe != "validation_time":
        zh.append(f"按 {_zh(validated_at)} 核验")
        en.append(f"validated as of {_en(validated_at)}")
    if valid_then is True:
        zh.append("证书当时有效")
        en.append("certificate valid then")
    elif valid_then is False:
        zh.append("证书当时不在有效期内")
        en.append("certificate not within its validity then")
    kind = revocation.kind if revocation else None
    if revocation is not None and kind and revocation.issued_at is not None:
        state_zh = {"good": "未吊销", "revoked": "已吊销", "unknown": "状态未知"}.get(revocation.status, "未核查")
        state_en = {"good": "not revoked", "revoked": "revoked", "unknown": "status unknown"}.get(
            revocation.status, "not checked")
        zh.append(f"吊销状态以 {_zh(revocation.issued_at)} 的{REVINFO_ZH[kind]}核查：{state_zh}")
        en.append(f"revocation checked with the {REVINFO_EN[kind]} of {_en(revocation.issued_at)}: {state_en}")
    else:
        zh.append("文件中没有可用的吊销状态信息")
        en.append("no revocation data in the file for this certificate")
    return ValidationBasis(validated_at=validated_at, poe=poe, poe_time=poe_time, certificate_valid_then=valid_then,
                           revocation_kind=kind, revocation_issued_at=revocation.issued_at if revocation else None,
                           text_zh="；".join(zh), text_en="; ".join(en))
