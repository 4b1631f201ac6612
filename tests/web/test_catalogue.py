"""Every message the pages use exists in Chinese and in English (no mixed or missing strings)."""

from __future__ import annotations

import re
from pathlib import Path

from mediation_svc.cases.schemas import Channel
from mediation_svc.cases.states import CaseStatus
from mediation_svc.documents.models import DocumentStatus
from mediation_svc.judicial.models import ApplicationStatus
from mediation_svc.scheduling.models import SessionMode
from mediation_svc.security.roles import Role
from mediation_svc.signing.models import RequestStatus, SignerStatus
from mediation_svc.i18n.catalogue import EN, ZH, translator
from mediation_svc.web.signer_pages import PAGE_STATES
from mediation_svc.web.signing_pages import TIMELINE_EVENTS

WEB = Path(__file__).resolve().parents[2] / "mediation_svc" / "web"
LITERAL = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']""")


def used_keys() -> set[str]:
    keys = set()
    for path in [*WEB.glob("templates/*.html"), *WEB.glob("*.py")]:
        # a key ending in "." is a prefix completed at run time (t("status." ~ case.status)): listed below
        keys |= {k for k in LITERAL.findall(path.read_text(encoding="utf-8")) if not k.endswith(".")}
    keys |= {f"ok.{k}" for k in ("moved", "created", "assigned", "booked", "saved", "finalised", "signing", "sealed",
                                 "ruled", "filed", "shared", "link_sent")}
    keys |= {f"status.{s.value}" for s in CaseStatus} | {f"role.{r.value}" for r in Role}
    keys |= {f"channel.{c.value}" for c in Channel} | {f"sched.mode.{m.value}" for m in SessionMode}
    keys |= {f"sign.status.{s.value}" for s in SignerStatus} | {f"sign.request.{s.value}" for s in RequestStatus}
    keys |= {f"docstatus.{s.value}" for s in DocumentStatus} | {f"court.status.{s.value}" for s in ApplicationStatus}
    keys |= {f"sign.{k}" for k in ("expired", "replaced", "locked", "already", "waiting", "invalid")}
    keys |= {f"sign.state.{state}.{part}" for state in PAGE_STATES for part in ("title", "what", "next")
             if (state, part) != ("open", "what") and (state, part) != ("open", "next")}
    keys |= {f"sign.event.{e}" for e in TIMELINE_EVENTS.values()} | {"sign.event.locked"}
    keys |= {f"day.{i}" for i in range(7)} | {f"verify.{kind}.{v}" for kind in ("headline", "advice")
                                                   for v in ("authentic", "changed", "unsigned", "foreign",
                                                             "indeterminate", "failed")}
    keys |= {f"verify.mod.{level}" for level in ("NONE", "LTA_UPDATES", "FORM_FILLING")} | {"verify.cov.ENTIRE_FILE"}
    keys |= {f"verify.sub.{code}" for code in ("HASH_FAILURE", "FORMAT_FAILURE", "NO_SIGNATURE_FOUND",
                                               "NO_CERTIFICATE_CHAIN_FOUND", "REVOKED", "EXPIRED", "NOT_YET_VALID")}
    return keys


def test_every_key_used_by_the_pages_is_in_both_languages():
    keys = used_keys()
    assert len(keys) > 150
    assert sorted(k for k in keys if k not in ZH) == []
    assert sorted(k for k in keys if k not in EN) == []


def test_english_has_no_chinese_except_names_and_the_language_switch():
    allowed = {"nav.language", "court.default_court", "form.amount_hint"}  # the hint shows what people type: 8.65万
    mixed = [k for k, v in EN.items() if k not in allowed and re.search(r"[\u4e00-\u9fff]", v)]
    assert mixed == []


def test_values_are_filled_in_and_a_bad_url_value_does_not_break_the_page():
    assert translator("en")("ok.created", number="粤正和调〔2026〕第0001号") == "Case taken in: 粤正和调〔2026〕第0001号"
    assert translator("zh-CN")("ok.created") == ZH["ok.created"]  # no values: the text as it is
    assert translator("en")("ok.created", nmbr="x") == EN["ok.created"]
