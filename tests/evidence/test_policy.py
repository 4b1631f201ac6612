"""The checks on plain bytes: type by content, the pixel bound before decoding, the clean re-encode, PDFs read
for their structure and refused when encrypted or active."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from mediation_svc.errors import PayloadTooLarge
from mediation_svc.evidence import policy
from mediation_svc.errors import EmptyUpload, UnsupportedMediaType
from tests.evidence import files

LIMITS = {"max_bytes": 10 * 1024 * 1024, "max_pixels": 40_000_000}


def test_the_type_comes_from_the_content_not_the_name():
    assert policy.media_type_of(files.renamed_executable()) is None
    assert policy.media_type_of(files.jpeg_with_gps()) == policy.JPEG
    assert policy.media_type_of(files.pdf()) == policy.PDF
    with pytest.raises(UnsupportedMediaType) as refused:
        policy.clean(files.renamed_executable(), **LIMITS)
    assert refused.value.status == 415
    with pytest.raises(EmptyUpload):
        policy.clean(b"", **LIMITS)


def test_an_image_bomb_is_refused_from_its_header_before_decoding(monkeypatch):
    bomb = files.png_bomb()
    assert len(bomb) < 2000
    decoded = []
    monkeypatch.setattr(Image.Image, "load", lambda self: decoded.append(self.size))
    with pytest.raises(policy.TooManyPixels) as refused:
        policy.clean(bomb, **LIMITS)
    assert refused.value.status == 413 and refused.value.slug == "image-too-many-pixels"
    # below Pillow's own bound (89 million) but above ours: counted from the header, still not decoded
    with pytest.raises(policy.TooManyPixels) as refused:
        policy.clean(files.png_bomb(7000, 7000), **LIMITS)
    assert "7000×7000" in refused.value.detail
    assert decoded == []  # not one pixel was decoded


def test_oversized_is_refused():
    with pytest.raises(PayloadTooLarge):
        policy.clean(b"%PDF-" + b"0" * 100, max_bytes=50, max_pixels=1000)


def test_a_photo_is_re_encoded_upright_without_any_metadata():
    original = files.jpeg_with_gps(size=(64, 32), orientation=6)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the GPS is there before
    cleaned = policy.clean(original, **LIMITS)
    assert cleaned.media_type == policy.JPEG and cleaned.data != original
    image = Image.open(io.BytesIO(cleaned.data))
    assert dict(image.getexif()) == {} and "exif" not in image.info and "icc_profile" not in image.info
    assert image.size == (32, 64)  # turned as the orientation said, then the tag dropped


def test_a_png_keeps_its_pixels_and_loses_its_text_chunks():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "taken at 23.1N 113.3E")
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (1, 2, 3, 4)).save(out, format="PNG", pnginfo=info)
    cleaned = policy.clean(out.getvalue(), **LIMITS)
    image = Image.open(io.BytesIO(cleaned.data))
    assert b"taken at" not in cleaned.data and image.getpixel((5, 5)) == (1, 2, 3, 4)


@pytest.mark.parametrize(("make", "reason"), [
    (files.pdf_with_javascript, "javascript"), (files.pdf_with_hidden_javascript, "javascript"),
    (files.pdf_with_launch, "launch-action"), (files.pdf_with_embedded_file, "embedded-files")])
def test_active_pdfs_are_refused_with_the_reason(make, reason):
    with pytest.raises(policy.PdfActiveContent) as refused:
        policy.clean(make(), **LIMITS)
    assert refused.value.extensions["reason"] == reason


def test_an_encrypted_or_broken_pdf_is_refused_and_a_plain_one_stored_as_is():
    with pytest.raises(policy.PdfEncrypted):
        policy.clean(files.encrypted_pdf(), **LIMITS)
    with pytest.raises(policy.UnreadableUpload):
        policy.clean(b"%PDF-1.7\n garbage", **LIMITS)
    plain = files.pdf()
    assert policy.clean(plain, **LIMITS).data == plain


def test_a_truncated_photo_is_unreadable_not_a_crash():
    with pytest.raises(policy.UnreadableUpload):
        policy.clean(files.jpeg_with_gps()[:300], **LIMITS)


def test_names_are_names_not_paths():
    assert policy.safe_filename("../../etc/收据.exe", policy.JPEG) == "收据.jpg"
    assert policy.safe_filename(None, policy.PDF, fallback="evidence") == "evidence.pdf"


def test_who_sees_what():
    assert policy.staff_view("case_officer") == policy.ALL and policy.staff_view("mediator") == policy.ALL
    assert policy.staff_view("court") == policy.SHARED
    assert policy.staff_view("expert") is None and policy.staff_view("party") is None
    assert policy.staff_view("nobody") is None
