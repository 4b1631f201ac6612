"""Judicial confirmation's rules on plain values: the 30 days for a joint application and the materials list.

People's Mediation Law art. 33 and Civil Procedure Law art. 205: the parties apply jointly within 30 days of the
agreement taking effect; a late application goes ahead only once an officer has acknowledged it is late.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ..errors import Conflict


class ConfirmationLate(Conflict):
    slug, title = "confirmation-deadline-passed", "The 30 days for a joint application have passed"


CONFIRMATION_DAYS = 30  # People's Mediation Law art. 33, Civil Procedure Law art. 205: within 30 days of effect


def confirmation_deadline(effective: date) -> date:
    """The last day a joint application is in time: 30 days from the day the agreement took effect."""
    return effective + timedelta(days=CONFIRMATION_DAYS)


def check_in_time(*, effective: date, today: date, acknowledged: bool) -> bool:
    """Whether the application is late; a late one goes ahead only once an officer has acknowledged it."""
    last_day = confirmation_deadline(effective)
    late = today > last_day
    if late and not acknowledged:
        raise ConfirmationLate(f"the agreement took effect on {effective.isoformat()}; the 30 days for a joint "
                               f"application ended on {last_day.isoformat()}. Confirm that you apply anyway "
                               f"(acknowledge_late) if the parties still wish to", effective_date=effective.isoformat(),
                               last_day=last_day.isoformat())
    return late


def materials(*, parties: list[dict[str, Any]], letters: dict[str, str],
              addresses: list[dict[str, Any] | None] | None = None) -> list[dict[str, Any]]:
    """The materials list, as the evidence package holds them: what is in it, and what a party still brings
    (marked 待提交). ``letters``: institution name -> its representative whose 授权委托书 the package carries;
    ``addresses``: per party, its 送达地址确认书 annexed to the application, or None (brought later)."""
    items = [{"name": "调解协议书（电子签署，PAdES B-LTA）"},
             {"name": "调解组织主持调解的证明（见本申请书“调解组织确认”，调解员签名并加盖调解组织印章）"}]
    for p in parties:
        proof = "身份证件" if p.get("kind") == "person" else "营业执照及负责人身份证明"
        items.append({"name": f"{p['name']}的{proof}（待提交）"})
    for institution, representative in letters.items():
        items.append({"name": f"{institution}的授权委托书（受托人：{representative}，已随本申请提交）"})
    annex = 0
    for p, address in zip(parties, addresses or [None] * len(parties), strict=False):
        if address is None:
            items.append({"name": f"{p['name']}的送达地址确认书（待提交）"})
        else:
            annex += 1
            items.append({"name": f"{p['name']}的送达地址确认书（本申请书附件{_cn(annex)}，随本申请书签署提交）"})
    items.append({"name": "签署证据报告（随本申请提交）"})
    return items


def _cn(value: int) -> str:
    from ..documents.rendering import _cn_number  # noqa: PLC0415 - the templates' own ordinals

    return _cn_number(value)
