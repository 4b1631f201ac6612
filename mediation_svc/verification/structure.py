"""Changes after a signature that pyHanko's difference analysis lets through as "form filling" or does not
look at, but that a court must be told about (PAdES overlay and shadow attacks, ISO 32000-2 §12.8).

The service's own agreements have no interactive form fields and create each signature field when it is
signed, so after a signature only these may follow: a new signature field that is signed (the next
signer), validation data (DSS) and invisible document timestamps. Everything else is reported as a
change to the document, and the signatures it follows fail:

- a new signature field left unsigned: its appearance can draw anything over the agreement (a white box
  and another amount) and no signature vouches for it;
- a document timestamp with a visible appearance: anyone can obtain a trusted timestamp from a public
  TSA, so a visible one could lay any text over the page under a trusted name;
- a form field that existed at signing (text, check box...) filled, emptied or restyled: hidden text can
  appear or a value change ("shadow attack"); a court is told which field changed, and the file fails;
- the document information dictionary (/Info: title, subject, author, keywords) rewritten: the same
  change in XMP metadata already fails, so this does too (/Producer and /ModDate, which signing software
  updates, are ignored).
"""

from __future__ import annotations

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

IGNORED_INFO_KEYS = {"/Producer", "/ModDate"}


def _fields(root) -> dict[str, generic.DictionaryObject]:
    """Fully qualified field name -> terminal field dictionary (with widgets merged, as ISO 32000 allows)."""
    found: dict[str, generic.DictionaryObject] = {}
    try:
        form = root.get("/AcroForm")
        top = form.get_object().get("/Fields") if form is not None else None
    except Exception:  # noqa: BLE001 - no form: nothing to report
        return found
    stack = [(ref, "") for ref in (top.get_object() if top is not None else [])]
    while stack and len(found) < 10_000:
        ref, prefix = stack.pop()
        try:
            field = ref.get_object()
            partial = field.get("/T")
            name = f"{prefix}.{partial}" if prefix and partial is not None else str(partial or prefix)
            kids = field.get("/Kids")
            if kids is not None and any("/T" in kid.get_object() for kid in kids.get_object()):
                stack.extend((kid, name) for kid in kids.get_object())
            else:
                found[name] = field
        except Exception:  # noqa: BLE001
            continue
    return found


def _field_type(field) -> str | None:
    value = field.get("/FT")
    parent = field.get("/Parent")
    while value is None and parent is not None:
        parent = parent.get_object()
        value, parent = parent.get("/FT"), parent.get("/Parent")
    return str(value) if value is not None else None


def _visible(field) -> bool:
    try:
        rect = [float(x) for x in field.get("/Rect", [0, 0, 0, 0])]
    except (TypeError, ValueError):
        return True
    flags = int(field.get("/F", 0))
    hidden = bool(flags & 2) or bool(flags & 32)  # Hidden, NoView
    return not hidden and abs(rect[2] - rect[0]) > 0.5 and abs(rect[3] - rect[1]) > 0.5


def _info(resolver) -> dict[str, str]:
    try:
        ref = resolver.trailer_view.raw_get("/Info")
        info = resolver(ref.reference) if hasattr(ref, "reference") else ref
        return {str(k): str(v) for k, v in info.items() if k not in IGNORED_INFO_KEYS}
    except Exception:  # noqa: BLE001 - no /Info
        return {}


def problems_after(reader: PdfFileReader, signed_revision: int, changed_fields: list[str]) -> list[str]:
    """What changed after the revision a signature covers that the file must fail for (see module text)."""
    problems: list[str] = []
    last = reader.xrefs.total_revisions - 1
    if signed_revision >= last:
        return problems
    before = _fields(reader.get_historical_root(signed_revision))
    now = _fields(reader.root)
    for name, field in now.items():
        kind = _field_type(field)
        if kind == "/Sig" and name not in before:
            value = field.get("/V")
            if value is None:
                problems.append(f"a signature field ({name}) was added after this signature and left unsigned: "
                                f"its appearance can show anything over the document")
            elif str(value.get_object().get("/Type", "")) == "/DocTimeStamp" and _visible(field):
                problems.append(f"a document timestamp ({name}) with a visible appearance was added after this "
                                f"signature: it can lay text over the document under a trusted name")
    for name in changed_fields:
        changed = now.get(name)
        if changed is not None and _field_type(changed) != "/Sig":
            problems.append(f"the form field {name} was filled, emptied or changed after this signature: what "
                            f"it shows now is not what was signed")
    if _info(reader.get_historical_resolver(signed_revision)) != _info(reader.get_historical_resolver(last)):
        problems.append("the document information (title, subject, author or keywords) was changed after this "
                        "signature")
    return problems


def unreadable(pdf: bytes) -> bool:
    """Bytes that start like a PDF but hold no signature dictionary at all: not a file to report on."""
    return b"/ByteRange" not in pdf
