"""One mask for every phone the service shows (API, pages, SMS confirmations, audit actors): the same person reads
the same way on the complaint, the signing page and their own /my pages."""

from __future__ import annotations

import pytest

from mediation_svc.security.pipl import mask_phone


@pytest.mark.parametrize("phone, shown", [
    ("+8613812345678", "138****5678"),   # mainland, as stored (E.164): +86 dropped
    ("13812345678", "138****5678"),      # as typed
    (" +8613812345678 ", "138****5678"),
    ("+85291234567", "+852****4567"),    # Hong Kong: the country code stays, four digits hidden
    ("+8562055551234", "+85620****1234"),
    ("12345678", "****"),                # eight or fewer: nothing of it shown
    ("+86123", "****"),
    ("", ""),
    (None, None),
])
def test_a_phone_is_masked_one_way(phone, shown):
    assert mask_phone(phone) == shown
    if shown and shown != "****":
        assert shown.count("*") == 4 and shown[-4:] == phone.strip()[-4:]
