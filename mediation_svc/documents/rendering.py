"""Sandboxed rendering of document templates to archival PDF (PDF/A-3b, ISO 19005-3) with WeasyPrint.

The one entry point other domains call (scheduling: session notices; signing: evidence reports;
judicial: applications for judicial confirmation)::

    from mediation_svc.documents.rendering import render_document

    rendered = render_document(
        "session_notice", {...inputs...},          # template id and its inputs (a plain dict)
        language="zh-CN",                           # picks the template variant
        document_id="3f0c...",                      # printed on every page (a UUID string)
        verification_code="K7QW-M3XD-9HFA-2PRT",    # printed on every page, in the QR code's URL
        base_url=settings.public_base_url,          # QR code -> {base_url}/verify/code/{code}
        version=None,                               # None = the latest version of the template
        draft=False,                                # True adds a "draft / preview" mark on every page
    )
    rendered.pdf, rendered.sha256, rendered.page_count, rendered.template_id,
    rendered.template_version, rendered.inputs_hash, rendered.inputs (validated, canonical dict)

Inputs are validated against the template's pydantic schema (``documents/inputs.py``); every problem is
reported at once as ``errors.InvalidInput`` (422, ``errors=[{"loc": [...], "msg": ...}]``). An unknown
template or language is ``errors.NotFound``. ``inputs_hash`` is the SHA-256 of the RFC 8785 canonical
JSON of the validated inputs (``audit.chain.canonical_json``), the same JSON that is attached to the
PDF as ``document-data.json`` (AFRelationship /Data) so that a court system can read the terms.

What makes rendering safe with untrusted text in the inputs:
- Jinja2's ``ImmutableSandboxedEnvironment`` with autoescaping: a name such as
  ``<img src="file:///etc/passwd">`` is printed as those characters, never parsed as HTML.
- ``TemplateFetcher``, the only way WeasyPrint can load anything: it serves files inside
  ``document_templates/``, the fonts prepared in memory (``fonts.py``) and the exact ``data:`` URIs this
  module generated for this render (the QR code); everything else (``file:///etc/passwd``, ``http://``,
  ``https://``, ``ftp://``, other ``data:``) is refused and noted in ``fetcher.refused``.

What makes it fast (see docs/benchmarks.md, "Rendering"): one ``FontConfiguration`` and the parsed
stylesheets are kept for the process; fonts are pre-subset once to the document character set.
Rendering is serialised by a lock: WeasyPrint's shared font configuration (Pango/fontconfig) is not
meant for concurrent use, and the work is CPU-bound under the GIL anyway.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import io
import json
import logging
import mimetypes
import re
import threading
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes
from urllib.request import url2pathname

import cn2an
import pydyf
import segno
from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import ValidationError
from weasyprint import CSS, HTML, Attachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from ..audit.chain import canonical_json
from ..errors import InvalidInput
from ..timeutil import SHANGHAI
from . import fonts
from .numerals import rmb_capitals, rmb_figures
from .signature_fields import SignatureBlock, add_signature_fields, signature_blocks, write_signature_fields
from .templates import TEMPLATE_DIR, TemplateSpec, get_template

log = logging.getLogger("mediation_svc.documents.rendering")

PDF_VARIANT = "pdf/a-3b"
DATA_ATTACHMENT_NAME = "document-data.json"
_CODE_RE = re.compile(r"^[A-Z0-9-]{4,40}$")
_ID_RE = re.compile(r"^[A-Za-z0-9-]{1,64}$")


@dataclass(frozen=True)
class RenderedDocument:
    pdf: bytes
    sha256: str
    page_count: int
    template_id: str
    template_version: int
    language: str
    kind: str
    title: str
    inputs_hash: str
    inputs: dict[str, Any] = field(repr=False)
    signature_blocks: tuple["SignatureBlock", ...] = ()

    @property
    def size(self) -> int:
        return len(self.pdf)


class TemplateFetcher(URLFetcher):
    """WeasyPrint's only door to the outside: template files, prepared fonts, our own data: URIs."""

    def __init__(self, template_dir: Path = TEMPLATE_DIR, data_uris: frozenset[str] = frozenset()) -> None:
        super().__init__(timeout=1, allowed_protocols=("file", "data", fonts.FONT_SCHEME), allow_redirects=False,
                         fail_on_errors=False)
        self.root = template_dir.resolve()
        self.data_uris = data_uris
        self.refused: list[str] = []
        self.served: list[str] = []

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data" and url in self.data_uris:
            return self._serve(url, *_decode_data_uri(url))
        if scheme == fonts.FONT_SCHEME:
            name = url.split(":", 1)[1]
            return self._serve(url, fonts.prepared_font(name, self.root), "font/otf")
        if scheme == "file" and url.startswith("file:///"):
            path = Path(url2pathname(url[len("file://"):].split("?", 1)[0].split("#", 1)[0])).resolve()
            if path.is_relative_to(self.root) and path.is_file():
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return self._serve(url, path.read_bytes(), mime)
        self.refused.append(url)
        log.warning("document rendering refused to fetch %s", url[:200])
        raise ValueError(f"refused to fetch {url[:80]!r}: only document template files are served")

    def _serve(self, url: str, body: bytes, mime: str) -> URLFetcherResponse:
        self.served.append(url if not url.startswith("data:") else url[:40])
        return URLFetcherResponse(url, body, {"Content-Type": mime})


def _decode_data_uri(url: str) -> tuple[bytes, str]:
    header, _, payload = url[len("data:"):].partition(",")
    mime = header.split(";", 1)[0] or "text/plain"
    body = base64.b64decode(payload) if header.endswith(";base64") else unquote_to_bytes(payload)
    return body, mime


@dataclass(frozen=True)
class PreparedDocument:
    """A template filled with validated inputs, before layout."""

    spec: TemplateSpec
    language: str
    html: str
    qr_uri: str
    attachment_data: bytes
    inputs_hash: str
    inputs: dict[str, Any] = field(repr=False)


class _CompressOnce(pydyf.Stream):
    """A stream whose compressed form is computed once, at zlib level 6.

    pydyf compresses a stream each time its ``data`` is read, at level 9; for PDF/A the file identifier is an
    MD5 over every object's data, so each stream (the two CJK font subsets, 440 KB) was compressed twice
    per render: about 27 ms of CPU, against about 6 ms this way, for files under 1 % larger. The class of
    our own PDF's stream objects is switched in ``_compress_once`` (a finisher), nothing global is patched.
    """

    @property
    def data(self) -> bytes:
        cached = self.__dict__.get("_data_once")
        if cached is None:
            stream = b"\n".join(pydyf._to_bytes(item) for item in self.stream)
            extra = pydyf.Dictionary(self.extra.copy())
            if self.compress:
                extra["Filter"] = "/FlateDecode"
                stream = zlib.compress(stream, 6)
            extra["Length"] = len(stream)
            cached = self.__dict__["_data_once"] = b"\n".join((extra.data, b"stream", stream, b"endstream"))
        return cached


def _compress_once(_document, pdf: pydyf.PDF) -> None:
    for obj in pdf.objects:
        if type(obj) is pydyf.Stream:
            obj.__class__ = _CompressOnce


def _finisher(blocks: tuple[SignatureBlock, ...]):
    """WeasyPrint's last step before writing: the signers' empty fields, then each stream compressed once."""
    def finish(document, pdf: pydyf.PDF) -> None:
        write_signature_fields(pdf, blocks)
        _compress_once(document, pdf)
    return finish


# -- template helpers (filters) ------------------------------------------------------------------------

def _zh_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _local(value)
        return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
    return f"{value.year}年{value.month}月{value.day}日"


def _en_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _local(value)
        return f"{value.day} {value:%B %Y, %H:%M}"
    return f"{value.day} {value:%B %Y}"


def _local(value: datetime) -> datetime:
    # Naive datetimes in inputs are already Beijing time; aware ones are converted.
    return value if value.tzinfo is None else value.astimezone(SHANGHAI)


def _local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return "" if value is None else _local(value).strftime(fmt)


def _group(code: str, size: int = 4) -> str:
    """K7QWM3XD9HFA2PRT -> K7QW-M3XD-9HFA-2PRT (codes of other shapes, e.g. PREVIEW, stay as they are)."""
    plain = code.replace("-", "")
    if len(plain) % size or not plain.isalnum():
        return code
    return "-".join(plain[i:i + size] for i in range(0, len(plain), size))


def _cn_number(value: int) -> str:
    """3 -> 三, 11 -> 十一: the ordinals of numbered terms (一、二、三、)."""
    return cn2an.an2cn(int(value), "low")


def _cn_phone(value: str | None) -> str:
    """+8613800138000 / 86-138-0013-8000 -> 13800138000: how Chinese documents print a mainland number."""
    if not value:
        return ""
    digits = re.sub(r"[\s-]", "", value)
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix):]
    if digits.startswith("86") and len(digits) == 13 and digits[2] == "1":
        digits = digits[2:]
    return digits if re.fullmatch(r"1\d{10}", digits) else value


def _to_jsonable(value: Any) -> Any:
    return json.loads(canonical_json(value))


def build_environment(template_dir: Path = TEMPLATE_DIR) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(loader=FileSystemLoader(str(template_dir)), autoescape=True,
                                        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                                        auto_reload=False)
    env.filters.update(capitals=rmb_capitals, figures=rmb_figures, zh_date=_zh_date, en_date=_en_date,
                       local_time=_local_time, group=_group, cn_number=_cn_number, cn_phone=_cn_phone)
    return env


# -- the renderer ---------------------------------------------------------------------------------------

class Renderer:
    """Holds what is worth keeping between renders: the Jinja2 environment, fonts and parsed CSS."""

    def __init__(self, template_dir: Path = TEMPLATE_DIR) -> None:
        self.template_dir = template_dir
        self.env = build_environment(template_dir)
        self.font_config = FontConfiguration()
        self._css: dict[str, CSS] = {}
        self._lock = threading.Lock()
        self.base_fetcher = TemplateFetcher(template_dir)

    def stylesheet(self, name: str) -> CSS:
        """A stylesheet from the template folder (or the fonts' rules), parsed once for the process."""
        if name not in self._css:
            if name == "@fonts":
                css = CSS(string=fonts.font_face_css(), url_fetcher=self.base_fetcher, font_config=self.font_config)
            else:
                path = (self.template_dir / name).resolve()
                if not path.is_relative_to(self.template_dir.resolve()):
                    raise ValueError(f"stylesheet outside the template folder: {name}")
                css = CSS(filename=str(path), url_fetcher=self.base_fetcher, font_config=self.font_config)
            self._css[name] = css
        return self._css[name]

    def validate(self, spec: TemplateSpec, inputs: dict[str, Any]):
        if not isinstance(inputs, dict):
            raise InvalidInput("document inputs must be an object",
                               errors=[{"loc": ["inputs"], "msg": "expected an object"}])
        try:
            return spec.inputs.model_validate(inputs)
        except ValidationError as exc:
            errors = [{"loc": ["inputs", *map(str, e["loc"])], "msg": e["msg"], "type": e["type"]}
                      for e in exc.errors(include_url=False, include_input=False)]
            raise InvalidInput(f"the inputs for template '{spec.template_id}' v{spec.version} are not valid "
                               f"({len(errors)} problem{'s' if len(errors) != 1 else ''})",
                               errors=errors) from None

    def prepare(self, template_id: str, inputs: dict[str, Any], *, language: str, document_id: str,
                verification_code: str, base_url: str, version: int | None = None,
                draft: bool = False) -> "PreparedDocument":
        """Validate the inputs and fill the template: the HTML WeasyPrint lays out (bench/render.py gives the
        very same HTML to Chromium)."""
        spec = get_template(template_id, language=language, version=version)
        model = self.validate(spec, inputs)
        if not _ID_RE.match(document_id) or not _CODE_RE.match(verification_code):
            raise ValueError("document_id and verification_code must be plain identifiers")
        canonical = _to_jsonable(model.model_dump(mode="python"))
        inputs_hash = canonical_inputs_hash(canonical)

        verify_url = f"{base_url.rstrip('/')}/verify/code/{verification_code}"
        # One pixel per module, scaled up in CSS with image-rendering: pixelated: a few hundred bytes, and
        # far cheaper for WeasyPrint than an SVG path of the same code.
        qr_uri = segno.make(verify_url, error="m").png_data_uri(scale=1, border=0)
        context = {
            "d": model.model_dump(mode="python"),
            "doc": {"id": document_id, "code": _group(verification_code), "verify_url": verify_url,
                    "qr": qr_uri, "title": spec.title, "draft": draft, "language": language,
                    "template": f"{spec.template_id}/{spec.language}/v{spec.version}"},
        }
        html_text = self.env.get_template(spec.path).render(**context)
        attachment_data = json.dumps({
            "document_id": document_id, "verification_code": verification_code, "title": spec.title,
            "template_id": spec.template_id, "template_version": spec.version, "language": language,
            "inputs_hash": inputs_hash, "inputs": canonical,
        }, ensure_ascii=False, indent=2).encode("utf-8")
        return PreparedDocument(spec=spec, language=language, html=html_text, qr_uri=qr_uri,
                                attachment_data=attachment_data, inputs_hash=inputs_hash, inputs=canonical)

    def stylesheet_names(self, language: str) -> list[str]:
        return ["base.css"] + ([f"lang-{language}.css"] if language != "zh-CN" else [])

    def render(self, template_id: str, inputs: dict[str, Any], *, language: str, document_id: str,
               verification_code: str, base_url: str, version: int | None = None,
               draft: bool = False) -> tuple[RenderedDocument, TemplateFetcher]:
        prepared = self.prepare(template_id, inputs, language=language, document_id=document_id,
                                verification_code=verification_code, base_url=base_url, version=version,
                                draft=draft)
        spec, html_text, qr_uri = prepared.spec, prepared.html, prepared.qr_uri
        attachment_data, inputs_hash, canonical = prepared.attachment_data, prepared.inputs_hash, prepared.inputs
        with self._lock, _collector_paused():
            fetcher = TemplateFetcher(self.template_dir, data_uris=frozenset({qr_uri}))
            sheets = [self.stylesheet("@fonts")] + [self.stylesheet(n) for n in self.stylesheet_names(language)]
            document = HTML(string=html_text, base_url=self.template_dir.as_uri() + "/",
                            url_fetcher=fetcher).render(font_config=self.font_config, stylesheets=sheets)
            attachments = []
            if spec.attach_data:
                attachments.append(Attachment(string=attachment_data, name=DATA_ATTACHMENT_NAME,
                                              description=f"{spec.title}: structured data", url_fetcher=fetcher,
                                              relationship="Data"))
            # A preview is never signed; a document to be signed gets a field in each signer's block.
            blocks = () if draft else signature_blocks(document)
            pdf = document.write_pdf(pdf_variant=PDF_VARIANT, attachments=attachments, custom_metadata=True,
                                     finisher=_finisher(blocks))
        rendered = RenderedDocument(pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(),
                                    page_count=len(document.pages), template_id=spec.template_id,
                                    template_version=spec.version, language=language, kind=spec.kind,
                                    title=spec.title, inputs_hash=inputs_hash, inputs=canonical,
                                    signature_blocks=blocks)
        return rendered, fetcher


@contextmanager
def _collector_paused():
    """No cyclic garbage collection during a render (renders are serialised by the renderer's lock).

    A render allocates some 100,000 short-lived objects, enough to set off full collections that walk the
    whole heap (all that the imports left): on a fresh process's first render that cost about a fifth of
    its CPU time, on a warm one a few per cent. The render's own garbage is collected as usual once the collector is back on."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_renderer: Renderer | None = None
_renderer_lock = threading.Lock()


def get_renderer() -> Renderer:
    global _renderer
    with _renderer_lock:
        if _renderer is None:
            _renderer = Renderer()
        return _renderer


def render_document(template_id: str, inputs: dict[str, Any], *, language: str, document_id: str,
                    verification_code: str, base_url: str, version: int | None = None,
                    draft: bool = False) -> RenderedDocument:
    """Validate ``inputs`` against the template's schema and render the PDF/A-3b (see module docstring)."""
    rendered, _ = get_renderer().render(template_id, inputs, language=language, document_id=document_id,
                                        verification_code=verification_code, base_url=base_url,
                                        version=version, draft=draft)
    return rendered


def canonical_inputs_hash(inputs: dict[str, Any]) -> str:
    """SHA-256 of the RFC 8785 canonical JSON of (already validated, JSON-shaped) inputs."""
    return hashlib.sha256(canonical_json(inputs).encode("utf-8")).hexdigest()


def validate_inputs(template_id: str, inputs: dict[str, Any], *, language: str,
                    version: int | None = None) -> tuple[TemplateSpec, dict[str, Any], str]:
    """Check inputs without rendering: (template spec, canonical inputs, their hash) or InvalidInput."""
    spec = get_template(template_id, language=language, version=version)
    model = get_renderer().validate(spec, inputs)
    canonical = _to_jsonable(model.model_dump(mode="python"))
    return spec, canonical, canonical_inputs_hash(canonical)


def data_attachment(pdf: bytes) -> dict[str, Any]:
    """Read the structured data back out of a rendered PDF (what a court system would do)."""
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as document:
        attached = document.attachments.get(DATA_ATTACHMENT_NAME)
        if attached is None:
            raise LookupError("no structured data attached")
        return json.loads(attached.get_file().read_bytes().decode("utf-8"))


__all__ = ["RenderedDocument", "SignatureBlock", "signature_blocks", "add_signature_fields", "TemplateFetcher", "Renderer", "render_document", "get_renderer",
           "data_attachment", "canonical_inputs_hash", "validate_inputs"]


def render_page_pdf(template: str, **values) -> bytes:
    """A page template of ours (not a document template) as a PDF, with the documents' fonts and stylesheet."""
    renderer = get_renderer()
    html_text = renderer.env.get_template(template).render(**values)
    with renderer._lock:  # WeasyPrint's font configuration is shared with document rendering
        fetcher = TemplateFetcher(renderer.template_dir)
        document = HTML(string=html_text, base_url=renderer.template_dir.as_uri() + "/", url_fetcher=fetcher)
        return document.write_pdf(font_config=renderer.font_config,
                                  stylesheets=[renderer.stylesheet("@fonts"), renderer.stylesheet("base.css")])
