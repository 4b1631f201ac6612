"""What a signature looks like on paper: the appearance streams of signature widgets (ISO 32000-1 §12.7.4.5,
§12.5.5), drawn as pyHanko stamp styles.

- Where: the document templates mark each signer's block with ``data-sign-field="<field name>"``. When a
  document is rendered (``documents/rendering.py``), WeasyPrint's layout gives each block's page and box, and
  an empty signature field with that name is put there (pyHanko ``append_signature_field``, one incremental
  update before the document is finalised). Signing fills that field, so the mark lands in the signer's own
  block on the page where the block is, never in the page footer (核验码, document number, 第 X 页 共 Y 页, QR).
- What: ``signer_mark`` (a party, a representative, the mediator): the drawn signature (cropped to its ink),
  the signer's name (and 授权代表 of an institution), the signing time in Beijing time (2026年12月2日 10:31)
  and, for a representative, the institution's own seal image when an officer has checked one.
  ``seal_mark`` (the center): a red round electronic seal generated from the configured name (the name
  around the rim, a five-pointed star, the purpose such as 调解专用章 at the base) over the agreement's
  effective date (People's Mediation Law art. 29: effective when the organisation's seal is applied).
- How: text is drawn as vector outlines of Noto CJK glyphs (HarfBuzz), so an appearance embeds no font and
  cannot come out as mojibake; outlines are cached per glyph, the seal's vector drawing per name, so an
  appearance costs well under a millisecond or two (bench/sign.py). No pyHanko default stamp text is used.
"""

from __future__ import annotations

import io
import math
import threading
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import uharfbuzz as hb
from PIL import Image
from pyhanko.pdf_utils import content, generic, layout
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.stamp.base import BaseStamp, BaseStampStyle

from ..documents.fonts import NOTO_DIR
from ..timeutil import SHANGHAI

FIELD_ATTRIBUTE = "data-sign-field"
SEAL_RED = (0.84, 0.07, 0.09)
INK = (0.05, 0.05, 0.12)
SERIF = NOTO_DIR / "NotoSerifCJK-Regular.ttc"
SERIF_BOLD = NOTO_DIR / "NotoSerifCJK-Bold.ttc"
DEFAULT_SEAL_PURPOSE = "调解专用章"


# -- glyph outlines ---------------------------------------------------------------------------------------

class _PathPen:
    """Collects a glyph outline as PDF path operators, in font units (HarfBuzz calls these)."""

    def __init__(self) -> None:
        self.ops: list[str] = []

    def moveTo(self, p):  # noqa: N802 - the pen protocol's names
        self.ops.append(f"{p[0]:.1f} {p[1]:.1f} m")

    def lineTo(self, p):  # noqa: N802
        self.ops.append(f"{p[0]:.1f} {p[1]:.1f} l")

    def curveTo(self, a, b, c):  # noqa: N802
        self.ops.append(f"{a[0]:.1f} {a[1]:.1f} {b[0]:.1f} {b[1]:.1f} {c[0]:.1f} {c[1]:.1f} c")

    def qCurveTo(self, a, b):  # noqa: N802 - TrueType outlines: raise the quadratic to a cubic
        x0, y0 = self._last()
        c1 = (x0 + 2 / 3 * (a[0] - x0), y0 + 2 / 3 * (a[1] - y0))
        c2 = (b[0] + 2 / 3 * (a[0] - b[0]), b[1] + 2 / 3 * (a[1] - b[1]))
        self.curveTo(c1, c2, b)

    def closePath(self):  # noqa: N802
        self.ops.append("h")

    def _last(self) -> tuple[float, float]:
        for op in reversed(self.ops):
            parts = op.split()
            if parts[-1] in ("m", "l", "c"):
                return float(parts[-3]), float(parts[-2])
        return 0.0, 0.0


class GlyphFont:
    """One face of a Noto CJK collection: advance widths and outlines, cached per character."""

    def __init__(self, path, family: str = "Noto Serif CJK SC") -> None:
        blob = hb.Blob.from_file_path(str(path))
        index = 0
        for i in range(64):
            face = hb.Face(blob, i)
            if face.glyph_count == 0:
                break
            if face.get_name(hb.OTNameIdPredefined.FONT_FAMILY) == family or \
                    face.get_name(hb.OTNameIdPredefined.TYPOGRAPHIC_FAMILY) == family:
                index = i
                break
        self.face = hb.Face(blob, index)
        self.font = hb.Font(self.face)
        self.upem = self.face.upem
        self._glyphs: dict[str, tuple[bytes, float]] = {}
        self._lock = threading.Lock()

    def glyph(self, char: str) -> tuple[bytes, float]:
        """(path operators in font units, advance in em) for one character."""
        cached = self._glyphs.get(char)
        if cached is None:
            with self._lock:
                gid = self.font.get_nominal_glyph(ord(char)) or 0
                pen = _PathPen()
                self.font.draw_glyph_with_pen(gid, pen)
                advance = self.font.get_glyph_h_advance(gid) / self.upem
                cached = self._glyphs[char] = (" ".join(pen.ops).encode("ascii"), advance)
        return cached

    def width(self, text: str, size: float) -> float:
        return sum(self.glyph(c)[1] for c in text) * size

    def draw(self, text: str, size: float, x: float, y: float) -> bytes:
        """Fill ``text`` with its baseline starting at (x, y), ``size`` points per em."""
        scale = size / self.upem
        out = []
        for char in text:
            path, advance = self.glyph(char)
            if path:
                out.append(b"q %.4f 0 0 %.4f %.4f %.4f cm %s f Q" % (scale, scale, x, y, path))
            x += advance * size
        return b" ".join(out)

    def draw_rotated(self, char: str, size: float, cx: float, cy: float, angle: float) -> bytes:
        """One character centred on (cx, cy), its top turned to ``angle`` (radians, 0 = upright)."""
        path, advance = self.glyph(char)
        if not path:
            return b""
        scale = size / self.upem
        cos, sin = math.cos(angle), math.sin(angle)
        # glyph origin offset so that the em box centre sits at (cx, cy); CJK ems sit on a -0.12 descent
        ox, oy = -advance * size / 2, -0.38 * size
        tx = cx + ox * cos - oy * sin
        ty = cy + ox * sin + oy * cos
        return b"q %.4f %.4f %.4f %.4f %.3f %.3f cm %s f Q" % (
            scale * cos, scale * sin, -scale * sin, scale * cos, tx, ty, path)


@lru_cache(maxsize=4)
def glyph_font(path) -> GlyphFont:
    return GlyphFont(path)


# -- which field is whose -----------------------------------------------------------------------------------

def party_field_name(document_inputs: dict, *, role: str, name: str, position: int) -> str:
    """The field of a party's block: the templates number the parties as the document lists them
    (``party-1``, ``party-2`` ...); a party is found there by role and name, else by its position."""
    listed = document_inputs.get("parties") or document_inputs.get("applicants") or []
    for index, party in enumerate(listed, start=1):
        if party.get("role") == role and party.get("name") == name:
            return f"party-{index}"
    return f"party-{position}"


# -- what the marks say --------------------------------------------------------------------------------------

def signing_time_text(at: datetime, language: str = "zh-CN") -> str:
    local = at.astimezone(SHANGHAI)
    if language == "zh-CN":
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local.day} {local:%B %Y}, {local:%H:%M} (Beijing time)"


def signing_date_text(at: datetime, language: str = "zh-CN") -> str:
    local = at.astimezone(SHANGHAI)
    if language == "zh-CN":
        return f"{local.year}年{local.month}月{local.day}日"
    return f"{local.day} {local:%B %Y}"


def ink_crop(png: bytes, *, max_side: int = 900) -> Image.Image:
    """The drawn signature cut to its ink (a finger-drawn PNG is mostly empty canvas), RGBA."""
    image = Image.open(io.BytesIO(png))
    image.load()
    rgba = image.convert("RGBA")
    if max(rgba.size) > max_side:
        rgba.thumbnail((max_side, max_side))
    # ink = not transparent and not near-white
    grey = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba).convert("L")
    mask = grey.point(lambda v: 255 if v < 200 else 0)
    box = mask.getbbox()
    if box is None:
        return rgba
    pad = 4
    box = (max(0, box[0] - pad), max(0, box[1] - pad), min(rgba.width, box[2] + pad), min(rgba.height, box[3] + pad))
    cropped = rgba.crop(box)
    # keep only the ink, on a transparent ground: white canvases would hide the line under them
    alpha = cropped.getchannel("A")
    ink_alpha = Image.eval(grey.crop(box), lambda v: 0 if v >= 235 else min(255, (235 - v) * 3))
    cropped.putalpha(Image.composite(ink_alpha, Image.new("L", cropped.size, 0), alpha))
    return cropped


# -- the pyHanko side -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MarkStyle(BaseStampStyle):
    """A stamp style that draws one of our marks; ``painter(stamp, width, height)`` returns the operators."""

    painter: object = None
    border_width: int = 0
    background_opacity: float = 1.0

    def create_stamp(self, writer, box: layout.BoxConstraints, text_params: dict) -> "MarkStamp":
        return MarkStamp(writer=writer, style=self, box=box)


class MarkStamp(BaseStamp):
    def __init__(self, writer, style: MarkStyle, box: layout.BoxConstraints):
        if not (box and box.width_defined and box.height_defined):
            raise layout.LayoutError("a signature mark is drawn into a field with a box")
        super().__init__(box=box, style=style, writer=writer)

    def image(self, name: str, image: Image.Image) -> str:
        """Register an image XObject for this appearance; returns its resource name."""
        pdf_image = PdfImage(image, writer=self.writer)
        self.set_resource(category=content.ResourceType.XOBJECT, name=pdf_name(f"/{name}"), value=pdf_image.image_ref)
        return f"/{name}"

    def multiply(self) -> bytes:
        """A graphics state that prints like ink on paper: red over black stays readable."""
        self.set_resource(category=content.ResourceType.EXT_G_STATE, name=pdf_name("/Ink"),
                          value=generic.DictionaryObject({pdf_name("/BM"): pdf_name("/Multiply"),
                                                          pdf_name("/ca"): generic.FloatObject(1),
                                                          pdf_name("/CA"): generic.FloatObject(1)}))
        return b"/Ink gs"

    def _render_inner_content(self):
        return [self.style.painter(self, self.box.width, self.box.height)]


def _fit_image(stamp: MarkStamp, name: str, image: Image.Image, x: float, y: float, w: float, h: float,
               align: str = "left") -> bytes:
    scale = min(w / image.width, h / image.height)
    iw, ih = image.width * scale, image.height * scale
    ix = x if align == "left" else x + (w - iw) if align == "right" else x + (w - iw) / 2
    iy = y + (h - ih) / 2
    return b"q %.4f 0 0 %.4f %.4f %.4f cm %s Do Q" % (iw, ih, ix, iy, stamp.image(name, image).encode())


def _fit_text(font: GlyphFont, text: str, size: float, max_width: float) -> float:
    width = font.width(text, size)
    return size if width <= max_width else size * max_width / width


def signer_mark(*, drawing_png: bytes | None, name: str, signed_at: datetime, capacity: str | None = None,
                institution_seal_png: bytes | None = None, language: str = "zh-CN") -> MarkStyle:
    """A signer's mark: drawn signature above, name and signing time below, an institution's seal on the right."""
    signature = ink_crop(drawing_png) if drawing_png else None
    seal_image = Image.open(io.BytesIO(institution_seal_png)).convert("RGBA") if institution_seal_png else None
    caption = name if not capacity else f"{name}（{capacity}）" if language == "zh-CN" else f"{name} ({capacity})"
    when = signing_time_text(signed_at, language)

    def paint(stamp: MarkStamp, width: float, height: float) -> bytes:
        font = glyph_font(SERIF)
        ops = [b"q"]
        text_size = min(9.0, height * 0.2)
        seal_side = min(height, width * 0.34) if seal_image is not None else 0
        text_width = width - seal_side - 2
        lines_height = text_size * 2.5
        if seal_image is not None:
            ops.append(b"q " + stamp.multiply() + b" " +
                       _fit_image(stamp, "InstitutionSeal", seal_image, width - seal_side, 0, seal_side, height,
                                  align="right") + b" Q")
        if signature is not None:
            ops.append(_fit_image(stamp, "Signature", signature, 2, lines_height, text_width - 2,
                                  height - lines_height - 1))
        ops.append(b"%.4f %.4f %.4f rg" % INK)
        size = _fit_text(font, caption, text_size, text_width - 2)
        ops.append(font.draw(caption, size, 2, text_size * 1.35))
        size = _fit_text(font, when, text_size * 0.92, text_width - 2)
        ops.append(font.draw(when, size, 2, text_size * 0.2))
        ops.append(b"Q")
        return b" ".join(ops)

    return MarkStyle(painter=paint)


@lru_cache(maxsize=8)
def seal_drawing(center_name: str, purpose: str, diameter: float) -> bytes:
    """The round seal as vector operators in a ``diameter`` square, origin at its lower left (cached)."""
    bold = glyph_font(SERIF_BOLD)
    r = diameter / 2
    ring = diameter * 0.03
    ops = [b"%.4f %.4f %.4f rg %.4f %.4f %.4f RG" % (*SEAL_RED, *SEAL_RED), b"q 1 0 0 1 %.4f %.4f cm" % (r, r)]
    # the rim: a circle of four Bezier arcs
    k = 0.5523 * (r - ring / 2)
    rr = r - ring / 2
    ops.append(b"%.4f w %.4f 0 m %.4f %.4f %.4f %.4f 0 %.4f c %.4f %.4f %.4f %.4f %.4f 0 c %.4f %.4f %.4f %.4f 0 %.4f c %.4f %.4f %.4f %.4f %.4f 0 c S" % (
        ring, rr, rr, k, k, rr, rr, -k, rr, -rr, k, -rr, -rr, -k, -k, -rr, -rr, k, -rr, rr, -k, rr))
    # the name along the upper arc, read clockwise, each character's top towards the rim
    chars = [c for c in center_name if not c.isspace()]
    span = math.radians(min(240.0, 20 + 14 * len(chars)))
    size = min(diameter * 0.135, (span * (r * 0.74) / max(1, len(chars))) * 0.9)
    text_radius = r - ring * 2.2 - size * 0.55
    for i, char in enumerate(chars):
        theta = math.pi / 2 + span / 2 - (span * (i + 0.5) / len(chars))
        cx, cy = text_radius * math.cos(theta), text_radius * math.sin(theta)
        ops.append(bold.draw_rotated(char, size, cx, cy, theta - math.pi / 2))
    # the five-pointed star in the centre
    outer, inner = diameter * 0.16, diameter * 0.16 * 0.382
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = math.pi / 2 + i * math.pi / 5
        points.append((radius * math.cos(angle), radius * math.sin(angle)))
    ops.append(b"%.4f %.4f m " % points[0] + b" ".join(b"%.4f %.4f l" % p for p in points[1:]) + b" h f")
    # the purpose, straight, below the star
    psize = min(diameter * 0.1, (diameter * 0.56) / max(1, len(purpose)))
    pwidth = bold.width(purpose, psize)
    ops.append(bold.draw(purpose, psize, -pwidth / 2, -r * 0.54))
    ops.append(b"Q")
    return b" ".join(ops)


def seal_mark(*, center_name: str, signed_at: datetime, purpose: str = DEFAULT_SEAL_PURPOSE,
              language: str = "zh-CN", diameter_mm: float = 40.0) -> MarkStyle:
    """The center's red round e-seal over the date it was applied (the agreement's effective date)."""
    when = signing_date_text(signed_at, language)

    def paint(stamp: MarkStamp, width: float, height: float) -> bytes:
        font = glyph_font(SERIF)
        diameter = min(diameter_mm * 72 / 25.4, width, height)
        x0, y0 = (width - diameter) / 2, height - diameter  # the seal at the top of its block
        size = min(11.0, width / max(6, len(when)) * 1.6)
        date_width = font.width(when, size)
        # the date across the seal's lower rim, as a seal is stamped over the date on paper
        ops = [b"q 0 0 0 rg", font.draw(when, size, (width - date_width) / 2, max(1.0, y0 + diameter * 0.07)), b"Q"]
        ops.append(b"q " + stamp.multiply() + b" 1 0 0 1 %.4f %.4f cm " % (x0, y0)
                   + seal_drawing(center_name, purpose, round(diameter, 2)) + b" Q")
        return b" ".join(ops)

    return MarkStyle(painter=paint)
