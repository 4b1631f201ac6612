"""The visible marks on plain values: what the mark says, which field is whose, the seal image upload bounds."""

from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest
from PIL import Image, ImageDraw

from mediation_svc.errors import InvalidInput, PayloadTooLarge
from mediation_svc.signing import appearance, uploads


def test_the_signing_time_is_beijing_time_in_chinese():
    at = datetime(2026, 12, 2, 2, 31, tzinfo=timezone.utc)
    assert appearance.signing_time_text(at) == "2026年12月2日 10:31"
    assert appearance.signing_date_text(datetime(2026, 12, 31, 17, 5, tzinfo=timezone.utc)) == "2027年1月1日"
    assert "UTC" not in appearance.signing_time_text(at, "en") and "Beijing" in appearance.signing_time_text(at, "en")


def test_a_party_finds_its_own_block_by_role_and_name():
    inputs = {"parties": [{"role": "respondent", "name": "某银行"}, {"role": "applicant", "name": "陈秀兰"}]}
    assert appearance.party_field_name(inputs, role="applicant", name="陈秀兰", position=1) == "party-2"
    assert appearance.party_field_name(inputs, role="respondent", name="某银行", position=2) == "party-1"
    assert appearance.party_field_name({}, role="applicant", name="陈秀兰", position=3) == "party-3"
    assert appearance.party_field_name({"applicants": inputs["parties"]}, role="applicant", name="陈秀兰",
                                       position=1) == "party-2"


def test_glyphs_are_drawn_as_outlines_and_unknown_characters_draw_nothing():
    font = appearance.glyph_font(appearance.SERIF)
    drawn = font.draw("陈秀兰", 9, 0, 0)
    assert drawn.count(b" f Q") == 3 and b"Tj" not in drawn  # vector outlines, no text operators, no font
    assert font.width("陈秀兰", 10) == pytest.approx(30, abs=0.5)
    assert b"e-" not in drawn and b"nan" not in drawn


def test_the_seal_drawing_is_made_once_per_name():
    one = appearance.seal_drawing("广东正和银行保险消费纠纷调解中心", "调解专用章", 113.39)
    assert one is appearance.seal_drawing("广东正和银行保险消费纠纷调解中心", "调解专用章", 113.39)
    assert b"0.8400 0.0700 0.0900 rg" in one


def test_ink_crop_keeps_only_the_ink():
    image = Image.new("RGBA", (400, 200), (255, 255, 255, 255))
    ImageDraw.Draw(image).line([(100, 80), (200, 120)], fill=(0, 0, 0, 255), width=6)
    out = io.BytesIO()
    image.save(out, "PNG")
    cropped = appearance.ink_crop(out.getvalue())
    assert cropped.width < 120 and cropped.height < 60
    assert cropped.getpixel((0, 0))[3] == 0  # the white canvas became transparent


def seal_png(size=(300, 300), ground=(255, 255, 255)) -> bytes:
    image = Image.new("RGB", size, ground)
    ImageDraw.Draw(image).ellipse((10, 10, size[0] - 10, size[1] - 10), outline=(200, 0, 0), width=12)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_an_institution_seal_image_is_re_encoded_with_a_transparent_ground():
    png = uploads.reencode_seal_image(seal_png((1200, 1200)))
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.mode == "RGBA" and max(image.size) == uploads.SEAL_SIDE
    assert image.getpixel((image.width // 2, image.height // 2))[3] == 0
    assert image.getpixel((image.width // 2, 8))[3] == 255  # on the red rim


def test_seal_images_are_bounded():
    with pytest.raises(InvalidInput):
        uploads.reencode_seal_image(b"%PDF-1.7")
    with pytest.raises(InvalidInput):
        uploads.reencode_seal_image(seal_png(ground=(255, 255, 255))[:60])  # truncated
    with pytest.raises(InvalidInput):
        uploads.reencode_seal_image(uploads_blank())
    with pytest.raises(PayloadTooLarge):
        uploads.reencode_seal_image(b"\x89PNG\r\n\x1a\n" + bytes(uploads.MAX_SEAL_BYTES))
    # a small file that claims a huge canvas is refused from its header, before it is decoded
    bomb = io.BytesIO()
    Image.new("1", (6000, 6000)).save(bomb, "PNG")
    assert len(bomb.getvalue()) < uploads.MAX_SEAL_BYTES
    with pytest.raises(InvalidInput, match="pixels"):
        uploads.reencode_seal_image(bomb.getvalue())


def uploads_blank() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 200), (255, 255, 255)).save(out, "PNG")
    return out.getvalue()
