"""Pure rules of who signs: mobile numbers, short link codes, ID masks, the ID check that nobody bypasses."""

from __future__ import annotations

import pytest

from mediation_svc.security.pipl import mask_id_number
from mediation_svc.phones import normalise_mobile
from mediation_svc.signing import identity

SECRET = b"k" * 32


@pytest.mark.parametrize("typed, expected", [
    ("13912345678", "+8613912345678"), ("139 1234 5678", "+8613912345678"), ("+86 139-1234-5678", "+8613912345678"),
    ("+852 9123 4567", "+85291234567"),
])
def test_mobiles_are_accepted_as_e164(typed, expected):
    assert normalise_mobile(typed) == expected


@pytest.mark.parametrize("typed", ["1392468", "020-83888888", "02083888888", "12345678901", "", None,
                                   "85291234567", "not a phone"])
def test_short_landline_and_ambiguous_numbers_are_refused(typed):
    with pytest.raises(ValueError):
        normalise_mobile(typed)


def test_link_codes_carry_60_bits_and_forgive_typing():
    codes = {identity.new_link_code() for _ in range(2000)}
    assert len(codes) == 2000 and all(len(c) == 12 for c in codes)
    assert len(identity.LINK_ALPHABET) ** identity.LINK_CODE_LENGTH >= 2 ** 60
    code = next(iter(codes))
    assert identity.normalise_link_code(code.lower()) == code
    assert identity.normalise_link_code(f" {code[:4]}-{code[4:8]}-{code[8:]} ") == code
    assert identity.normalise_link_code("K7P3QX9M") is None  # too short
    assert identity.normalise_link_code("eyJhbGciOiJFUzI1NiJ9") is None
    # only the HMAC is stored; the same code always finds the same row, another key finds nothing
    assert identity.hash_link_code(SECRET, code) == identity.hash_link_code(SECRET, code) != code
    assert identity.hash_link_code(b"x" * 32, code) != identity.hash_link_code(SECRET, code)


def test_masks_show_the_first_six_and_never_what_the_check_asks_for():
    masked = mask_id_number("440106195803121235")
    assert masked == "440106************" and "1235" not in masked
    assert mask_id_number("91440101MA59XXXX") == "914401**********"
    assert mask_id_number("1234") == "****"


def test_nothing_on_file_never_passes_the_id_check():
    stored = identity.hash_id_last4(SECRET, "1235")
    assert identity.id_last4_matches(SECRET, typed="1235", stored=stored)
    assert not identity.id_last4_matches(SECRET, typed="1234", stored=stored)
    assert not identity.id_last4_matches(SECRET, typed="1234", stored=None)  # the old bypass
    assert not identity.id_last4_matches(SECRET, typed=None, stored=stored)


def test_the_sms_deadline_is_a_chinese_date_in_beijing_time():
    import datetime as dt

    from mediation_svc.signing.service import chinese_deadline

    assert chinese_deadline(dt.datetime(2026, 12, 9, 10, 0, tzinfo=dt.timezone.utc)) == "12月9日 18:00"
    assert chinese_deadline(dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.timezone.utc)) == "1月1日 00:30"
