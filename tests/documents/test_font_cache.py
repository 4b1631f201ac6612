"""The prepared CJK faces kept on disk (issue 19): a fresh process reads them instead of cutting them again; a
damaged copy is cut again; a directory that cannot be written only costs the cut (also as root, where file
permissions do not stop anyone: here the cache "directory" lies under a regular file)."""

from __future__ import annotations

import struct

import pytest

from mediation_svc.documents import fonts

pytestmark = pytest.mark.skipif(not fonts.fonts_installed(), reason="fonts-noto-cjk is not installed")

FACE = fonts.FACES[0]
CHARACTERS = frozenset(map(ord, "调解协议书申请人被申请人ABC123，。"))  # small: each cut takes a moment only


def test_a_second_process_reads_the_face_from_disk_without_cutting_it(tmp_path, monkeypatch):
    first = fonts.cached_subset(FACE, CHARACTERS, tmp_path)
    [stored] = tmp_path.glob("*.otf")
    assert stored.name.startswith("serif-regular-")

    def no_cutting(*_args):
        raise AssertionError("the face was cut again")

    monkeypatch.setattr(fonts, "subset_face", no_cutting)
    assert fonts.cached_subset(FACE, CHARACTERS, tmp_path) == first


def test_a_damaged_copy_is_cut_again_and_replaced(tmp_path):
    good = fonts.cached_subset(FACE, CHARACTERS, tmp_path)
    [stored] = tmp_path.glob("*.otf")
    raw = bytearray(stored.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    stored.write_bytes(bytes(raw))
    assert fonts.cached_subset(FACE, CHARACTERS, tmp_path) == good
    assert stored.read_bytes()[32:] == good


def test_a_directory_that_cannot_be_written_still_gives_the_face(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory would be")
    assert fonts.cached_subset(FACE, CHARACTERS, blocker / "cache") == fonts.subset_face(FACE, set(CHARACTERS))
    assert not list(tmp_path.glob("**/.tmp-*"))


def test_the_name_changes_with_the_characters_and_the_font_file(tmp_path):
    assert fonts.cache_key(FACE, CHARACTERS) != fonts.cache_key(FACE, CHARACTERS | {ord("堃")})
    bold = fonts.FACES[1]
    assert fonts.font_fingerprint(FACE.source) != fonts.font_fingerprint(bold.source)
    copy = tmp_path / "copy.ttc"
    data = bytearray(FACE.source.read_bytes())
    copy.write_bytes(bytes(data))
    assert fonts.font_fingerprint(copy) == fonts.font_fingerprint(FACE.source)
    (first_face,) = struct.unpack(">I", bytes(data[12:16]))
    data[first_face + 12 + 4] ^= 0x01  # the first table record's checksum, as if that table had changed
    copy.write_bytes(bytes(data))
    assert fonts.font_fingerprint(copy) != fonts.font_fingerprint(FACE.source)
