"""What an uploaded file may be, decided on its bytes alone (no database): the checks evidence and complaint
attachments share.

- The type comes from the content (magic bytes), never from the name or the declared type.
- An image's pixels are counted from its header before anything is decoded (a decompression bomb declares
  millions of pixels in a few kilobytes); it is then decoded once, turned upright (EXIF orientation) and
  re-encoded, so what is stored carries no metadata at all (EXIF, GPS, XMP, ICC, text chunks).
- A PDF is parsed for its structure only (pikepdf, never rendered): an encrypted one, or one with JavaScript,
  embedded files or launch actions, is refused with the reason.

HEIC photos are not accepted: this Pillow build has no HEIF decoder, and a type the server cannot re-encode
is not stored.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from ..errors import EmptyUpload, InvalidInput, PayloadTooLarge, UnsupportedMediaType
from ..security.roles import CASE_WORKERS, STAFF, Role

PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
SIGNATURES = {PDF: (b"%PDF-",), PNG: (b"\x89PNG\r\n\x1a\n",), JPEG: (b"\xff\xd8\xff",)}
EXTENSIONS = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg"}
JPEG_QUALITY = 90
MAX_PDF_OBJECTS = 200_000  # a scanned statement has a few hundred; more is a parser workout, not evidence


class UnreadableUpload(InvalidInput):
    slug, title = "unreadable-upload", "The file is damaged or incomplete"


class TooManyPixels(PayloadTooLarge):
    slug, title = "image-too-many-pixels", "The image has too many pixels"


class PdfEncrypted(InvalidInput):
    slug, title = "pdf-encrypted", "Encrypted PDFs are not accepted"


class PdfActiveContent(InvalidInput):
    slug, title = "pdf-active-content", "PDFs with scripts, embedded files or launch actions are not accepted"


def media_type_of(data: bytes) -> str | None:
    """The accepted type these bytes begin with, or None."""
    return next((kind for kind, heads in SIGNATURES.items() if any(data.startswith(h) for h in heads)), None)


def require_type(data: bytes) -> str:
    if not data:
        raise EmptyUpload("文件为空 (the file is empty)", errors=[{"loc": ["body"], "msg": "empty"}])
    media_type = media_type_of(data)
    if media_type is None:
        raise UnsupportedMediaType("只接受 PDF、PNG 或 JPEG 文件，按文件内容判断 (only PDF, PNG and JPEG files are "
                              "accepted, judged by their content)")
    return media_type


def too_large(max_bytes: int) -> PayloadTooLarge:
    """The refusal of a file over ``max_bytes``, in the same words wherever the size is found out."""
    return PayloadTooLarge(f"文件不能超过 {max_bytes / (1024 * 1024):g} MB (a file is at most {max_bytes:,} bytes)",
                           max_bytes=max_bytes)


def require_size(data: bytes, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise too_large(max_bytes)


def check_pixels(data: bytes, max_pixels: int) -> tuple[int, int]:
    """(width, height) from the header only; TooManyPixels before a single pixel is decoded."""
    from PIL import Image  # noqa: PLC0415 - Pillow is imported where images are read

    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            width, height = image.size
    except Image.DecompressionBombError as exc:  # Pillow's own bound, far above ours, said at open
        raise TooManyPixels(f"图片像素过多 (the image declares more than {max_pixels:,} pixels: {exc})") from exc
    except Exception as exc:  # noqa: BLE001 - any decoder complaint means "not a usable image"
        raise UnreadableUpload("图片无法读取 (the image cannot be read)") from exc
    if width * height > max_pixels:
        raise TooManyPixels(f"图片过大：{width}×{height} 像素 (the image is {width}×{height} pixels; at most "
                            f"{max_pixels:,} are accepted)")
    return width, height


def reencode_image(data: bytes, media_type: str, max_pixels: int) -> bytes:
    """The image decoded once (after the pixel bound), turned upright, re-encoded with no metadata."""
    from PIL import Image, ImageOps  # noqa: PLC0415

    check_pixels(data, max_pixels)
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.seek(0)  # an animated PNG: its first frame
            upright = ImageOps.exif_transpose(image)
            upright.load()
    except Exception as exc:  # noqa: BLE001 - a truncated or corrupt image
        raise UnreadableUpload("图片已损坏，无法读取 (the image is damaged)") from exc
    out = io.BytesIO()
    if media_type == JPEG:
        clean = upright.convert("RGB") if upright.mode not in ("RGB", "L") else upright.copy()
        clean.info = {}
        clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        mode = upright.mode if upright.mode in ("1", "L", "LA", "RGB", "RGBA", "I;16") else "RGBA"
        clean = upright.convert(mode)
        clean.info = {}
        clean.save(out, format="PNG", optimize=True)
    return out.getvalue()


@dataclass(frozen=True)
class PdfFinding:
    reason: str  # javascript | embedded-files | launch-action
    zh: str
    en: str


JAVASCRIPT = PdfFinding("javascript", "含有 JavaScript 脚本", "it contains JavaScript")
EMBEDDED = PdfFinding("embedded-files", "含有嵌入的文件", "it carries embedded files")
LAUNCH = PdfFinding("launch-action", "含有启动外部程序的动作", "it has a launch action (runs a program)")


def _finding_of(keys: set[str], values: dict[str, str]) -> PdfFinding | None:
    """What one dictionary of the PDF holds that evidence may not: keys and name values as plain strings."""
    if {"/JS", "/JavaScript"} & keys or values.get("/S") == "/JavaScript":
        return JAVASCRIPT
    if values.get("/S") == "/Launch":
        return LAUNCH
    if ("/EmbeddedFiles" in keys or "/EF" in keys or values.get("/Type") == "/EmbeddedFile"
            or values.get("/Subtype") == "/FileAttachment"):
        return EMBEDDED
    return None


def _walk_pdf(pdf) -> PdfFinding | None:
    """Every dictionary of the file, indirect objects and the direct ones nested in them, read not rendered."""
    import pikepdf  # noqa: PLC0415

    objects = list(pdf.objects)
    if len(objects) > MAX_PDF_OBJECTS:
        raise UnreadableUpload(f"PDF 结构过于复杂 (more than {MAX_PDF_OBJECTS:,} objects)")
    containers = pikepdf.Dictionary | pikepdf.Array | pikepdf.Stream

    def nested(values) -> list:  # the direct containers inside one (the indirect ones are walked on their own)
        return [v for v in values if isinstance(v, containers) and not v.is_indirect]

    stack = [*objects, pdf.trailer]
    while stack:
        obj = stack.pop()
        if isinstance(obj, pikepdf.Array):
            stack.extend(nested(obj))
            continue
        if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            continue
        items = dict(obj.items())
        names = {key: str(value) for key, value in items.items() if isinstance(value, pikepdf.Name)}
        finding = _finding_of(set(items), names)
        if finding is not None:
            return finding
        stack.extend(nested(items.values()))
    return None


def check_pdf(data: bytes) -> None:
    """The PDF's structure parsed (qpdf through pikepdf; nothing drawn): refused if encrypted or active."""
    import pikepdf  # noqa: PLC0415

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if pdf.is_encrypted:
                raise PdfEncrypted("PDF 已加密，请上传未加密的文件 (the PDF is encrypted; upload it unencrypted)",
                                   reason="encrypted")
            finding = _walk_pdf(pdf)
    except pikepdf.PasswordError as exc:
        raise PdfEncrypted("PDF 设有打开密码，请上传未加密的文件 (the PDF needs a password; upload it unencrypted)",
                           reason="encrypted") from exc
    except pikepdf.PdfError as exc:
        raise UnreadableUpload("PDF 已损坏，无法读取 (the PDF cannot be read)") from exc
    if finding is not None:
        raise PdfActiveContent(f"PDF {finding.zh}，不能作为证据上传 (refused: {finding.en})", reason=finding.reason)


@dataclass(frozen=True)
class CleanFile:
    media_type: str
    data: bytes  # what is stored: an image re-encoded, a PDF as uploaded (checked)


def clean(data: bytes, *, max_bytes: int, max_pixels: int) -> CleanFile:
    """The upload checked by content and made safe to store, or the typed error that says why not."""
    require_size(data, max_bytes)
    media_type = require_type(data)
    if media_type == PDF:
        check_pdf(data)
        return CleanFile(media_type, data)
    return CleanFile(media_type, reencode_image(data, media_type, max_pixels))


def safe_filename(name: str | None, media_type: str, fallback: str = "attachment") -> str:
    """A name to show, never a path: the last component, word characters only, the extension of the type."""
    stem = re.sub(r"[^\w\u4e00-\u9fff.-]+", "_", (name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1])[:80].strip("._")
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    return (stem or fallback) + EXTENSIONS[media_type]


# Who sees which evidence of a case they may see (cases.service.visibility_clause decides that): the center's
# staff and the mediator every item, the court the items shared with it; other roles none. The consumer's own
# view (by a proved phone) is the consumer side's items.
ALL, SHARED = "all", "shared"
STAFF_VIEWS: dict[Role, str] = {Role.ADMIN: ALL, Role.CASE_OFFICER: ALL, Role.MEDIATOR: ALL, Role.COURT: SHARED}
UPLOADERS = CASE_WORKERS
SHARERS = STAFF


def staff_view(role: Role | str) -> str | None:
    """ALL, SHARED or None (nothing) for a user of this role on a case they may see."""
    try:
        return STAFF_VIEWS.get(Role(role))
    except ValueError:
        return None
