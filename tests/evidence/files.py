"""Files to upload: real ones made here, and the hostile ones the checks must refuse."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def jpeg_with_gps(size: tuple[int, int] = (64, 32), orientation: int = 6) -> bytes:
    """A JPEG whose EXIF says where it was taken and that it must be turned (orientation 6: 90° clockwise)."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "TestCam"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (23.0, 7.0, 30.0)  # GPSLatitudeRef, GPSLatitude
    gps[3], gps[4] = "E", (113.0, 19.0, 12.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A PNG that declares width×height pixels (400 million) in a few hundred bytes: one compressed
    stream of zero rows, far fewer than declared, so any decoder that trusts the header blows up."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = zlib.compress(b"\x00" * (width + 1) * 8, 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")


def renamed_executable() -> bytes:
    """A Windows executable's first bytes (MZ, the DOS stub's words), as a photo.jpg would carry them."""
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"This program cannot be run in DOS mode." * 4


def pdf(extra_catalog: str = "", extra_objects: tuple[str, ...] = ()) -> bytes:
    """A small well-formed PDF (one blank page), with ``extra_catalog`` added to the catalog's dictionary and
    ``extra_objects`` as objects 4, 5, ...; the cross-reference table is computed."""
    objects = [f"<< /Type /Catalog /Pages 2 0 R {extra_catalog} >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>", *extra_objects]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def pdf_with_javascript() -> bytes:
    return pdf("/OpenAction << /S /JavaScript /JS (app.alert\\('hi'\\);) >>")


def pdf_with_hidden_javascript() -> bytes:
    """The same, the action an indirect object and the name written with a #-escape (/J#61vaScript)."""
    return pdf("/OpenAction 4 0 R", ("<< /S /J#61vaScript /JS (app.alert\\(1\\);) >>",))


def pdf_with_launch() -> bytes:
    return pdf("/OpenAction << /S /Launch /F (cmd.exe) >>")


def pdf_with_embedded_file() -> bytes:
    return pdf("/Names << /EmbeddedFiles << /Names [(a.exe) 4 0 R] >> >>",
               ("<< /Type /Filespec /F (a.exe) /EF << /F 5 0 R >> >>",
                "<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream"))


def encrypted_pdf() -> bytes:
    import pikepdf

    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf())) as document:
        document.save(out, encryption=pikepdf.Encryption(owner="owner", user="", R=6))
    return out.getvalue()
