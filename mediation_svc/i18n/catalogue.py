"""The pages' message catalogue: one table per language (zh-CN, the default, and en), kept as data.

The texts live in ``locales/*.toml`` (one file per group of pages: ``pages``, ``complaints``, ``report``,
``account``, ``selfservice``, ``signer``; each with a ``[zh-CN]`` and an ``[en]`` table), so that a translator edits words, not
Python. They are merged in that order, the signer's pages last (a key there replaces the staff pages' text).
Templates call ``t("key", name=...)``; a key missing from English falls back to Chinese, and a key missing
everywhere shows as the key itself (so a typo is visible on the page rather than an empty label).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from pathlib import Path

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"

LOCALES = Path(__file__).resolve().parent / "locales"
PAGE_GROUPS = ("pages", "complaints", "report", "account", "selfservice", "signer")  # merge order: the signer's pages last


def load_catalogue(directory: Path = LOCALES) -> dict[str, dict[str, str]]:
    """Every language's texts, the groups of ``PAGE_GROUPS`` merged in order."""
    catalogue: dict[str, dict[str, str]] = {language: {} for language in LANGUAGES}
    for group in PAGE_GROUPS:
        tables = tomllib.loads((directory / f"{group}.toml").read_text(encoding="utf-8"))
        for language in LANGUAGES:
            catalogue[language].update(tables.get(language, {}))
    return catalogue


CATALOGUE: dict[str, dict[str, str]] = load_catalogue()
ZH: dict[str, str] = CATALOGUE["zh-CN"]
EN: dict[str, str] = CATALOGUE["en"]


def pick_language(wanted: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    if wanted in LANGUAGES:
        return wanted
    if wanted and wanted.lower().startswith("en"):
        return "en"
    return default if default in LANGUAGES else DEFAULT_LANGUAGE


def translator(language: str) -> Callable[..., str]:
    messages = CATALOGUE.get(language, ZH)

    def t(key: str, **values) -> str:
        text = messages.get(key) or ZH.get(key) or key
        if not values:
            return text
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):  # a value missing from a hand-made URL: show the plain text
            return text

    return t


_LATIN_RUN = re.compile(r"\s*[A-Za-z][A-Za-z\- ]*[A-Za-z]\s*")
_CJK_RUN = re.compile(r"\s*[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+\s*")


def in_language(value: str | None, language: str) -> str:
    """The reader's half of a bilingual label from a certificate ("电子印章 Organisation Seal")."""
    if not value or not (_LATIN_RUN.search(value) and _CJK_RUN.search(value)):
        return value or ""
    kept = _CJK_RUN.sub(" ", value) if language == "en" else _LATIN_RUN.sub("", value)
    return kept.strip() or value
