"""The drawn signature is bounded by its header: a PNG declaring 30000x30000 pixels is refused unread."""

from __future__ import annotations

import struct
import zlib

import pytest

from mediation_svc.errors import InvalidInput
from mediation_svc.signing.uploads import check_drawing


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def pixel_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A few hundred bytes whose header promises 900 million pixels (Pillow's bomb check fires at 179M)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\0" * (width + 1) * 4)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")


@pytest.mark.parametrize("size", [(30000, 30000), (100000, 10), (3000, 100)])
def test_an_oversized_png_is_invalid_input_not_an_error(size):
    data = pixel_bomb(*size)
    assert len(data) < 512 * 1024
    with pytest.raises(InvalidInput) as refused:
        check_drawing(data)
    assert "pixels" in refused.value.detail
