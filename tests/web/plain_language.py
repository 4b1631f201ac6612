"""What a page must not show a person: raw codes, JSON, or English words in a Chinese page.

``findings(html, language)`` reads the text a person sees (text nodes, the title, and the aria-label, title,
placeholder and alt attributes), leaving out scripts, styles and anything inside an element marked
``data-technical`` (the raw audit entry, folded away for a technical reader), and returns what it found.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Latin words a Chinese page may show: names of formats and standards, and the language switch.
ALLOWED_LATIN = {"PDF", "SHA", "ID", "QR", "CSV", "ZIP", "PAdES", "B-LTA", "LTA", "English", "SVG", "PNG", "JWS",
                 "ETSI", "RFC", "CA", "OCSP", "CRL", "TSA", "ICS", "KiB", "MB", "HSM", "SMS", "CNY", "Putonghua",
                 "B-B", "B-T", "B-LT", "PAdES-B-LTA", "JSON", "JPEG", "Excel"}

URL = re.compile(r"(?:https?://|/)[\w\-./?=&%#:~+]*[\w/]|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
SNAKE = re.compile(r"(?<![\w-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w-])")
DOTTED = re.compile(r"(?<![\w-])[a-z]+(?:_[a-z]+)*\.[a-z]+(?:_[a-z]+)+(?![\w-])")
SCREAMING = re.compile(r"(?<![\w-])[A-Z]{2,}(?:_[A-Z0-9]+)+(?![\w-])")
ACTOR_REF = re.compile(r"\b(?:user|signer|system|party):\d*:?[\w.]*")
JSON_LIKE = re.compile(r"[{\[]\s*\"[^\"]*\"\s*:|\\\"")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z\-]*[A-Za-z]|[A-Za-z]")


class _Text(HTMLParser):
    SKIP = {"script", "style"}
    ATTRS = ("aria-label", "title", "placeholder", "alt")
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.code: list[str] = []  # inside <code>: hashes and verification codes, checked for codes and JSON only
        self.stack: list[tuple[str, bool]] = []  # (tag, hidden)

    def _hidden(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        hidden = self._hidden() or tag in self.SKIP or "data-technical" in values
        if not hidden:
            self.parts.extend(v for k, v in attrs if k in self.ATTRS and v)
            if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
                self.parts.append(values["value"])
        if tag not in self.VOID:
            self.stack.append((tag, hidden))

    def handle_startendtag(self, tag, attrs):
        if not self._hidden():
            self.parts.extend(v for k, v in attrs if k in self.ATTRS and v)

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not self._hidden() and data.strip():
            in_code = any(tag == "code" for tag, _ in self.stack)
            (self.code if in_code else self.parts).append(data)


def visible_text(html: str) -> tuple[str, str]:
    """The words a person reads, and what they read inside <code>."""
    parser = _Text()
    parser.feed(html)
    return "\n".join(parser.parts), "\n".join(parser.code)


def findings(html: str, language: str) -> list[str]:
    words, code = visible_text(html)
    text = f"{words}\n{code}"
    found = []
    for pattern in (JSON_LIKE, ACTOR_REF):
        found += [f"raw: {m.group(0)}" for m in pattern.finditer(text)]
    plain = URL.sub(" ", text)
    for pattern in (SNAKE, DOTTED, SCREAMING):
        found += [f"code: {m.group(0)}" for m in pattern.finditer(plain)]
    if language == "zh-CN":
        found += [f"English: {w}" for w in LATIN_WORD.findall(URL.sub(" ", words))
                  if w not in ALLOWED_LATIN and len(w) > 1]
    return sorted(set(found))
