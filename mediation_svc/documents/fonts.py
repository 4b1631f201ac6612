"""Fonts prepared once per process for the document set (Noto CJK from Debian's fonts-noto-cjk).

WeasyPrint embeds a subset of each font it uses, made with HarfBuzz on every render. From the full
Noto Serif CJK collection (a 25 MB TTC with 65,000 glyphs) that subsetting, and copying the font data
into it, is most of the time spent writing a PDF. So we first cut the SC face down, once, to the
characters our documents plausibly use: GB 2312 (6,763 hanzi, which covers almost all names and all
legal wording), ASCII, Latin-1, general and CJK punctuation, full-width forms, and every character
that appears in a template file. The result (about 4.7 MB, made in about 0.5 s with uharfbuzz) is
served to WeasyPrint from memory through ``@font-face`` and the rendering URL fetcher.

Nothing is lost for rarer characters (a name with 堃 or 𬌗): the CSS font stack falls back per
character to the full system "Noto Serif CJK SC", which WeasyPrint then subsets as usual.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import uharfbuzz as hb

NOTO_DIR = Path("/usr/share/fonts/opentype/noto")
FONT_SCHEME = "mediation-font"  # URLs the fetcher serves from memory: mediation-font:<name>


@dataclass(frozen=True)
class PreparedFace:
    name: str  # URL name, e.g. "serif-regular.otf"
    family: str  # the CSS family the stylesheets use
    weight: str
    source: Path
    face_name: str  # which face of the collection


FACES = (
    PreparedFace("serif-regular.otf", "DocSerif", "normal", NOTO_DIR / "NotoSerifCJK-Regular.ttc",
                 "Noto Serif CJK SC"),
    PreparedFace("serif-bold.otf", "DocSerif", "bold", NOTO_DIR / "NotoSerifCJK-Bold.ttc", "Noto Serif CJK SC"),
)

_lock = threading.Lock()
_prepared: dict[str, bytes] = {}


def base_characters() -> set[int]:
    chars = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
    chars |= set(range(0x2000, 0x2070)) | set(range(0x2100, 0x2200))  # punctuation, letterlike (№, ℃)
    chars |= set(range(0x2460, 0x24A0)) | set(range(0x25A0, 0x2600))  # ①..⑳, geometric shapes (□ ■ ○)
    chars |= set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFFF0))  # CJK punctuation, full-width forms
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return chars


def template_characters(template_dir: Path) -> set[int]:
    chars: set[int] = set()
    for path in template_dir.rglob("*"):
        if path.suffix in {".html", ".css", ".txt"}:
            chars |= {ord(c) for c in path.read_text(encoding="utf-8")}
    return chars


def _face_index(blob: hb.Blob, face_name: str) -> int:
    for index in range(64):  # a collection holds a handful of faces; past the last one a face is empty
        face = hb.Face(blob, index)
        if face.glyph_count == 0:
            break
        names = {face.get_name(hb.OTNameIdPredefined.FONT_FAMILY),
                 face.get_name(hb.OTNameIdPredefined.TYPOGRAPHIC_FAMILY)}
        if face_name in names:
            return index
    raise LookupError(f"no face named {face_name!r}")


def subset_face(face: PreparedFace, characters: set[int]) -> bytes:
    blob = hb.Blob.from_file_path(str(face.source))
    index = _face_index(blob, face.face_name)
    subset_input = hb.SubsetInput()
    for codepoint in characters:
        subset_input.unicode_set.add(codepoint)
    # Desubroutinising once here saves WeasyPrint's per-render subsetter from doing it again.
    subset_input.flags = hb.SubsetFlags.DESUBROUTINIZE | hb.SubsetFlags.NOTDEF_OUTLINE
    result = hb.subset(hb.Face(blob, index), subset_input)
    if result is None:
        raise RuntimeError(f"could not subset {face.source}")
    return result.blob.data


def prepared_font(name: str, template_dir: Path) -> bytes:
    """The prepared font file called ``name`` (made on first use, then kept for the process)."""
    with _lock:
        if name not in _prepared:
            face = next((f for f in FACES if f.name == name), None)
            if face is None:
                raise LookupError(f"no prepared font {name!r}")
            _prepared[name] = subset_face(face, _characters(template_dir))
        return _prepared[name]


@lru_cache(maxsize=4)
def _characters(template_dir: Path) -> frozenset[int]:
    return frozenset(base_characters() | template_characters(template_dir))


def font_face_css() -> str:
    """``@font-face`` rules for the prepared faces (parsed once with the shared FontConfiguration)."""
    rules = []
    for face in FACES:
        rules.append(f'@font-face {{ font-family: "{face.family}"; font-weight: {face.weight}; '
                     f'src: url("{FONT_SCHEME}:{face.name}"); }}')
    return "\n".join(rules)


def fonts_installed() -> bool:
    return all(face.source.exists() for face in FACES)
