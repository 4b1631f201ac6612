"""The signer's pages name the document they sign by its kind.

The signer-page texts (``sign.*`` in ``i18n.py``) are written for the document most people sign, the mediation
agreement (调解协议书 / 协议). A signer of a session record (调解笔录) or of the joint application for judicial
confirmation reads the same pages with that document's own words: ``translator_for`` wraps the page translator
and puts them in, longest phrase first, so that 调解协议书 becomes 调解笔录 and 协议 becomes 笔录.
"""

from __future__ import annotations

from collections.abc import Callable

# Each kind: (old, new) pairs applied in order, longest phrase first. A document other than the agreement does
# not "take effect": it is signed completely. The page named 验证协议 keeps its name.
_ZH_DONE = (("后协议生效", "后签署完成"), ("生效后", "完成后"), ("已生效协议", "签署完成的{doc}"),
            ("已生效的协议", "签署完成的{doc}"), ("协议已生效", "{doc}已签署完成"), ("已经生效", "签署完成"))
_EN_DONE = (("The agreement takes effect once", "Signing is complete once"),
            ("when it takes effect", "when signing is complete"), ("agreement is in force", "agreement is signed by all"),
            ("agreement in force", "fully signed agreement"))
_KEEP = ("验证协议", "verification page")


def _pairs(zh_title: str, zh_word: str, en_title: str, en_word: str) -> dict[str, tuple[tuple[str, str], ...]]:
    zh = tuple((old, new.format(doc=zh_word)) for old, new in _ZH_DONE) + (("调解协议书", zh_title), ("协议", zh_word))
    en = _EN_DONE + (("mediation agreement", en_title), ("Mediation Agreement", en_title.title()),
                     ("agreement", en_word), ("Agreement", en_word.capitalize()))
    return {"zh-CN": zh, "en": en}


WORDS: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {
    "session_record": _pairs("调解笔录", "笔录", "session record", "record"),
    "judicial_application": _pairs("司法确认申请书", "申请书", "application for judicial confirmation", "application"),
}


def reword(text: str, *, kind: str | None, language: str) -> str:
    """``text`` (written of an agreement) said of a document of ``kind``; unchanged for an agreement."""
    pairs = WORDS.get(kind or "", {}).get(language, ())
    if not pairs:
        return text
    kept = {f"\x00{i}\x00": phrase for i, phrase in enumerate(_KEEP)}
    for token, phrase in kept.items():
        text = text.replace(phrase, token)
    for old, new in pairs:
        text = text.replace(old, new)
    for token, phrase in kept.items():
        text = text.replace(token, phrase)
    return text


def translator_for(t: Callable[..., str], *, kind: str | None, language: str) -> Callable[..., str]:
    """The page translator ``t``, speaking of a document of ``kind``."""
    if kind not in WORDS:
        return t

    def reworded(key: str, **values) -> str:
        return reword(t(key, **values), kind=kind, language=language)

    return reworded
