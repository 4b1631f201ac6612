"""The catalogue of codes a person may meet on a page, each with its Chinese and English text.

Statuses, backgrounds, specialties, availability, session states, exclusion reasons, audit actions, the
kinds of object an audit entry names and the payload fields it records: a page shows ``label(kind, code)``,
never the code. A code missing from the catalogue shows as a plain "other" word (``UNKNOWN``), not as the
code; ``tests/web/test_labels.py`` fails when an enum value or a recorded audit action has no entry.

The texts are data, in ``locales/labels.toml`` (per kind, each code with its ``[zh-CN, en]`` text); the page
texts (buttons, headings) are ``i18n``'s, in the other files of ``locales/``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable

from .catalogue import EN, LOCALES, ZH

Text = tuple[str, str]  # (zh-CN, en)

UNKNOWN: Text = ("其他", "other")

CATALOGUE: dict[str, dict[str, Text]] = {
    kind: {code: (texts[0], texts[1]) for code, texts in codes.items()}
    for kind, codes in tomllib.loads((LOCALES / "labels.toml").read_text(encoding="utf-8")).items()
}


# Kinds whose texts the page catalogue already holds (i18n.py keys "<prefix><code>"), not repeated here.
PAGE_KINDS = {"case_status": "status.", "document_status": "docstatus.", "role": "role.", "channel": "channel.",
              "session_mode": "sched.mode.", "signer_status": "sign.status.", "request_status": "sign.request.",
              "application_status": "court.status."}


def _code(code: object) -> str:
    return str(getattr(code, "value", code))


def has_label(kind: str, code: object) -> bool:
    if kind in PAGE_KINDS:
        return f"{PAGE_KINDS[kind]}{_code(code)}" in ZH
    return _code(code) in CATALOGUE.get(kind, {})


def label(kind: str, code: object, language: str = "zh-CN") -> str:
    """The text of ``code`` in the catalogue ``kind``, in ``language``; ``UNKNOWN`` when it is not listed."""
    if kind in PAGE_KINDS:
        key = f"{PAGE_KINDS[kind]}{_code(code)}"
        if key in ZH:
            return (EN if language == "en" else ZH).get(key) or ZH[key]
        return UNKNOWN[1] if language == "en" else UNKNOWN[0]
    text = CATALOGUE.get(kind, {}).get(_code(code), UNKNOWN)
    return text[1] if language == "en" else text[0]


def labeller(language: str) -> Callable[[str, object], str]:
    """``label`` bound to a language, for templates: ``{{ label("session_status", s.status) }}``."""
    return lambda kind, code: label(kind, code, language)
