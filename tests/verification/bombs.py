"""Hostile PDFs built by hand: a decompression bomb, a double-compressed bomb, deep nesting, long filter chains."""

from __future__ import annotations

import zlib

MiB = 1024 * 1024


def _pdf(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def _zeros_compressed(size: int) -> bytes:
    compressor = zlib.compressobj(9)
    block = b"\0" * MiB
    parts = [compressor.compress(block) for _ in range(size // MiB)]
    return b"".join(parts) + compressor.flush()


def page_objects(content: bytes) -> list[bytes]:
    return [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            content]


def flate_bomb(inflated: int = 256 * MiB) -> bytes:
    """One page whose content stream is ``inflated`` bytes of zeros, deflated (256 MiB -> about 255 KiB)."""
    return _pdf(page_objects(_stream(b"/Filter /FlateDecode", _zeros_compressed(inflated))))


def double_flate_bomb() -> bytes:
    """Compression inside compression: a small stream that inflates to a bomb that inflates again."""
    inner = _zeros_compressed(160 * MiB)
    return _pdf(page_objects(_stream(b"/Filter [/FlateDecode /FlateDecode]", zlib.compress(inner, 9))))


def deeply_nested(depth: int = 500) -> bytes:
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R /Deep " + b"[" * depth + b"]" * depth + b" >>",
                 b"<< /Type /Pages /Kids [] /Count 0 >>"])


def long_filter_chain(n: int = 8) -> bytes:
    data = b"BT ET"
    for _ in range(n):
        data = zlib.compress(data)
    return _pdf(page_objects(_stream(b"/Filter [" + b"/FlateDecode " * n + b"]", data)))


def small_genuine_page() -> bytes:
    """A harmless compressed page, well within every bound."""
    return _pdf(page_objects(_stream(b"/Filter /FlateDecode", zlib.compress(b"BT /F1 12 Tf (hello) Tj ET" * 100))))


def objstm_bomb(padding: int = 1024 * MiB) -> bytes:
    """The catalog packed in a compressed object stream that inflates to ``padding`` bytes: any reader must
    inflate it all to find the catalog. Cross-referenced by an xref stream (PDF 1.5, ISO 32000-1 §7.5.8)."""
    header = b"2 0 "
    first = len(header)
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(header + b"<< /Type /Catalog /Pages 3 0 R >>")]
    block = b" " * MiB
    parts += [compressor.compress(block) for _ in range(padding // MiB)]
    packed = b"".join(parts) + compressor.flush()
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    offsets[1] = len(out)
    out += b"1 0 obj\n" + _stream(b"/Type /ObjStm /N 1 /First %d /Filter /FlateDecode" % first, packed) + b"\nendobj\n"
    offsets[3] = len(out)
    out += b"3 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    offsets[4] = len(out)
    rows = [(0, 0, 65535), (1, offsets[1], 0), (2, 1, 0), (1, offsets[3], 0), (1, offsets[4], 0)]
    table = b"".join(bytes([t]) + o.to_bytes(4, "big") + g.to_bytes(2, "big") for t, o, g in rows)
    out += b"4 0 obj\n" + _stream(b"/Type /XRef /Size 5 /W [1 4 2] /Root 2 0 R", table) + b"\nendobj\n"
    out += b"startxref\n%d\n%%%%EOF\n" % offsets[4]
    return bytes(out)
