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

The cut faces are kept on disk (``MEDIATION_FONT_CACHE_DIR``, default ``var/font-cache``), so that a fresh
process (the CLI, a new worker) reads 4.7 MB instead of cutting them again. A cached file is named by a
digest of everything its bytes depend on: the font file (its size and its OpenType table directories, whose
per-table checksums cover the font's data, so a changed font file gives another name without hashing 26 MB),
the face, the character set, HarfBuzz's version and ``CACHE_FORMAT``. Files are written whole (temporary file,
then rename) and carry their own SHA-256, checked on reading; a directory that cannot be written (a
read-only image) only means the faces are cut in memory again, as before.
"""

from __future__ import annotations

import hashlib
import logging
import os
import struct
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import uharfbuzz as hb

log = logging.getLogger("mediation_svc.documents.fonts")
CACHE_FORMAT = 1  # bump when the cut (subset flags, character set rules) changes

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
    """The code points every cut face keeps: ASCII, Latin-1, general punctuation, letterlike symbols,
    number forms, arrows, circled numbers, geometric shapes, CJK punctuation, full-width forms and GB 2312."""
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
    """Every character in the template files (``.html``, ``.css``, ``.txt``) below ``template_dir``."""
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
    """The face cut to ``characters`` by HarfBuzz (desubroutinised, .notdef outline kept), as font
    bytes; LookupError when the collection has no such face, RuntimeError when HarfBuzz cannot cut it."""
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


def prepared_font(name: str, template_dir: Path, cache_dir: Path | None = None) -> bytes:
    """The prepared font file called ``name``: from the process, else from the disk cache, else cut now (and
    stored in the cache when its directory can be written)."""
    with _lock:
        if name not in _prepared:
            face = next((f for f in FACES if f.name == name), None)
            if face is None:
                raise LookupError(f"no prepared font {name!r}")
            _prepared[name] = cached_subset(face, _characters(template_dir), cache_dir or default_cache_dir())
        return _prepared[name]


def default_cache_dir() -> Path:
    """Where cut faces are kept: ``MEDIATION_FONT_CACHE_DIR`` (default ``var/font-cache``)."""
    from ..config import get_settings

    return get_settings().font_cache_dir


def cache_key(face: PreparedFace, characters: frozenset[int]) -> str:
    """Digest of everything the cut face's bytes depend on (see the module docstring)."""
    digest = hashlib.sha256(f"{CACHE_FORMAT}|{hb.__version__}|{face.face_name}|".encode())
    digest.update(font_fingerprint(face.source))
    digest.update(hashlib.sha256(",".join(map(str, sorted(characters))).encode()).digest())
    return digest.hexdigest()[:32]


def font_fingerprint(path: Path) -> bytes:
    """SHA-256 of a font file's size and its table directories (every face's, for a collection): the tables'
    checksums there change with any change to the font data."""
    with path.open("rb") as file:
        size = os.fstat(file.fileno()).st_size
        head = file.read(12)
        offsets = [0]
        if head[:4] == b"ttcf":
            (count,) = struct.unpack(">I", head[8:12])
            offsets = list(struct.unpack(f">{count}I", file.read(4 * count)))
        digest = hashlib.sha256(size.to_bytes(8, "big"))
        for offset in offsets:
            file.seek(offset)
            header = file.read(12)
            (tables,) = struct.unpack(">H", header[4:6])
            digest.update(header + file.read(16 * tables))
    return digest.digest()


def cached_subset(face: PreparedFace, characters: frozenset[int], cache_dir: Path) -> bytes:
    """The face cut to ``characters``: from ``cache_dir`` when a sound copy is there, else cut now and stored
    (when the directory can be written)."""
    path = cache_dir / f"{face.name.rsplit('.', 1)[0]}-{cache_key(face, characters)}.otf"
    cached = _read_cached(path)
    if cached is not None:
        return cached
    data = subset_face(face, set(characters))
    _write_cached(path, data)
    return data


def _read_cached(path: Path) -> bytes | None:
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    digest, data = raw[:32], raw[32:]
    if hashlib.sha256(data).digest() != digest:
        log.warning("prepared font %s in the cache is damaged; cutting it again", path.name)
        return None
    return data


def _write_cached(path: Path, data: bytes) -> None:
    """Whole or not at all: a reader in another process never sees half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    except OSError as exc:  # a read-only directory: the face stays in memory for this process
        log.info("prepared font not cached in %s: %s", path.parent, exc)
        return
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(hashlib.sha256(data).digest() + data)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; other workers' users may read it
        os.replace(temporary, path)
    except OSError as exc:
        log.info("prepared font not cached in %s: %s", path.parent, exc)
        Path(temporary).unlink(missing_ok=True)


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
    """Whether the Noto Serif CJK collections the faces are cut from (fonts-noto-cjk) are on disk."""
    return all(face.source.exists() for face in FACES)
