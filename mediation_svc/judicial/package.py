"""The evidence package for the court (ZIP, PKWARE APPNOTE): every file listed in ``manifest.json`` with
its SHA-256 and size, and ``manifest.jws``, a JWS (RFC 7515, ES256, ``typ`` ``evidence-manifest+jws``) over
exactly the bytes of ``manifest.json``, made with the center's manifest key published at
/.well-known/jwks.json.

Pure: bytes in, bytes out. ``check_package`` is what a court does on receipt, and it accepts a package
only if every tool would extract the same files from it:
- the ZIP's layout: each entry name once (a ZIP may hold two entries of one name: Python's zipfile reads
  the last, ``unzip -n`` extracts the first), and no bytes outside the entries the central directory
  lists (a stream extractor reads local headers the central directory does not list);
- bounded decompression: entry count, total size and compression ratio, from the central directory
  before anything is inflated (zipfile stops each entry at its declared size and checks its CRC);
- the manifest's signature: a manifest JWS with the manifest key (``attestation.verify_bytes``); a
  verification report's JWS, which anyone gets from the public endpoint, is not one;
- every file against the manifest, every manifest entry present, nothing the manifest does not list.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..verification import attestation

MANIFEST = "manifest.json"
MANIFEST_JWS = "manifest.jws"
# The case's audit chain and its RFC 6962 inclusion proof against a signed, RFC 3161-timestamped tree head.
AUDIT_CHAIN = "audit/case-chain.json"
AUDIT_PROOF = "audit/inclusion-proof.json"
AUDIT_TREE_HEAD = "audit/tree-head.jws"
AUDIT_TIMESTAMP = "audit/tree-head.tsr"
# A fixed time inside the ZIP entries, so the same files always make the same entries (the JWS itself
# differs between builds: ECDSA signatures are randomised).
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)


def build_zip(files: dict[str, bytes], *, meta: dict[str, Any], sign) -> tuple[bytes, bytes]:
    """Write ``files`` plus manifest.json and manifest.jws; returns (zip bytes, manifest bytes).

    ``sign(manifest_bytes) -> str`` makes the compact JWS (the caller holds the key)."""
    entries = [{"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
               for name, data in sorted(files.items())]
    manifest = json.dumps({**meta, "hash_algorithm": "SHA-256", "files": entries}, ensure_ascii=False,
                          indent=2, sort_keys=True, default=str).encode("utf-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in [*sorted(files.items()), (MANIFEST, manifest), (MANIFEST_JWS, sign(manifest).encode())]:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return out.getvalue(), manifest


@dataclass
class PackageCheck:
    ok: bool
    manifest: dict[str, Any] | None = None
    files: dict[str, bytes] = field(default_factory=dict, repr=False)
    problems: list[str] = field(default_factory=list)


# Bounds on what a package may expand to. A package holds a dozen files (two signed PDFs, the evidence
# report, JSON extracts, DER certificates and CRLs); PDFs barely compress and the JSON extracts compress
# about tenfold.
MAX_ENTRIES = 256
MAX_EXPANDED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 100  # uncompressed : compressed, for each entry above RATIO_FLOOR bytes
RATIO_FLOOR = 64 * 1024

_LOCAL_HEADER = struct.Struct("<4s5H3I2H")  # APPNOTE 4.3.7, 30 bytes
_END_RECORD = struct.Struct("<4s4H2IH")  # APPNOTE 4.3.16, 22 bytes
_DESCRIPTOR_SIGNATURE = b"PK\x07\x08"


class PackageRefused(ValueError):
    """The ZIP is not one that every tool reads the same way, or it expands beyond the bounds."""


def _directory(data: bytes) -> tuple[int, int]:
    """(central directory offset, entry count) from the end record, which must end the file: read before
    zipfile parses the directory, so a directory of a million entries is refused unread."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - _END_RECORD.size - 0xFFFF))
    if end < 0:
        raise PackageRefused("no end of central directory record")
    _sig, disk, _cd_disk, _disk_entries, entries, cd_size, cd_offset, comment = _END_RECORD.unpack_from(data, end)
    if disk != 0 or entries == 0xFFFF or cd_offset == 0xFFFFFFFF:
        raise PackageRefused("a multi-part or ZIP64 archive")
    if end + _END_RECORD.size + comment != len(data) or cd_offset + cd_size != end:
        raise PackageRefused("bytes outside the archive's directory (data appended or a second directory)")
    if entries > MAX_ENTRIES:
        raise PackageRefused(f"{entries} entries; a package holds at most {MAX_ENTRIES}")
    return cd_offset, entries


def _layout(data: bytes, infos: list[zipfile.ZipInfo], cd_offset: int) -> None:
    """Every byte before the central directory belongs to an entry it lists, in order: nothing before,
    between or after the entries (no hidden or overlapping entries)."""
    position = 0
    for info in sorted(infos, key=lambda i: i.header_offset):
        if info.header_offset != position:
            raise PackageRefused(f"{info.filename}: bytes before this entry that no listed entry covers "
                                 "(a hidden entry)")
        header = _LOCAL_HEADER.unpack_from(data, position)
        if header[0] != b"PK\x03\x04":
            raise PackageRefused(f"{info.filename}: no local header where the directory says")
        position += _LOCAL_HEADER.size + header[9] + header[10] + info.compress_size
        if info.flag_bits & 0x08:  # sizes in a data descriptor after the data, with or without signature
            position += 16 if data[position:position + 4] == _DESCRIPTOR_SIGNATURE else 12
    if position != cd_offset:
        raise PackageRefused("bytes between the last entry and the directory (a hidden entry)")


def _bounds(infos: list[zipfile.ZipInfo], max_bytes: int) -> None:
    if sum(i.file_size for i in infos) > max_bytes:
        raise PackageRefused(f"the package expands beyond {max_bytes // (1024 * 1024)} MiB")
    for info in infos:
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise PackageRefused(f"{info.filename}: expands more than {MAX_RATIO} times (a decompression bomb?)")


def _read_entries(data: bytes, max_bytes: int) -> dict[str, bytes]:
    cd_offset, entries = _directory(data)
    archive = zipfile.ZipFile(io.BytesIO(data))
    infos = archive.infolist()
    if len(infos) != entries:
        raise PackageRefused("the directory holds another number of entries than its end record says")
    repeated = sorted(name for name, count in Counter(i.filename for i in infos).items() if count > 1)
    if repeated:
        raise PackageRefused(f"{', '.join(repeated)}: more than one entry of this name (tools disagree on "
                             "which one they extract)")
    _bounds(infos, max_bytes)
    _layout(data, infos, cd_offset)
    return {i.filename: archive.read(i) for i in infos}


def check_package(data: bytes, jwk_set: dict[str, Any], *, max_bytes: int = MAX_EXPANDED_BYTES) -> PackageCheck:
    """Verify the ZIP's layout and bounds, the manifest's JWS against the published keys and every file
    against the manifest; ``problems`` says what failed, in the order a court would want to read it."""
    check = PackageCheck(ok=False)
    try:
        contents = _read_entries(data, max_bytes)
    except PackageRefused as exc:
        check.problems.append(f"package refused: {exc}")
        return check
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, RuntimeError,
            NotImplementedError, struct.error) as exc:
        # RuntimeError: encrypted entry; NotImplementedError: unknown compression method
        check.problems.append(f"not a readable ZIP: {exc}")
        return check
    manifest_bytes, token = contents.pop(MANIFEST, None), contents.pop(MANIFEST_JWS, None)
    if manifest_bytes is None or token is None:
        check.problems.append("manifest.json or manifest.jws is missing")
        return check
    try:
        signed = attestation.verify_bytes(token.decode("ascii"), jwk_set, typ=attestation.MANIFEST.typ)
    except (attestation.AttestationInvalid, UnicodeDecodeError) as exc:
        check.problems.append(f"manifest.jws is not the center's manifest signature: {exc}")
        return check
    if signed != manifest_bytes:
        check.problems.append("manifest.jws signs other content than manifest.json")
        return check
    try:
        manifest = json.loads(manifest_bytes)
        entries = manifest["files"]
        listed = {e["name"]: e for e in entries}
    except (ValueError, KeyError, TypeError) as exc:
        check.problems.append(f"manifest.json does not list the package's files: {exc}")
        return check
    check.manifest = manifest
    if len(listed) != len(entries):
        check.problems.append("manifest.json lists a file more than once")
    for name, entry in listed.items():
        body = contents.get(name)
        if body is None:
            check.problems.append(f"{name}: listed in the manifest but missing")
        elif hashlib.sha256(body).hexdigest() != entry["sha256"] or len(body) != entry["size"]:
            check.problems.append(f"{name}: does not match its SHA-256 in the manifest")
    for name in sorted(set(contents) - set(listed)):
        check.problems.append(f"{name}: in the package but not in the manifest")
    check.files = contents
    check.ok = not check.problems
    return check


def created_at(manifest: dict[str, Any]) -> datetime | None:
    value = manifest.get("created_at")
    return datetime.fromisoformat(value) if value else None


def check_audit_proof(data: bytes, jwk_set: dict[str, Any], trust_roots):
    """The package's audit files, as a court checks them (after ``check_package`` vouched for the files):
    the case's chain link by link, its last entry up the audit path to the signed tree head's root, the
    head's signature and its timestamp. Returns ``audit.transparency.CaseEvidenceCheck``."""
    from ..audit.transparency import CaseEvidenceCheck, check_case_evidence

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        missing = [n for n in (AUDIT_CHAIN, AUDIT_PROOF, AUDIT_TREE_HEAD, AUDIT_TIMESTAMP) if n not in names]
        if missing:
            return CaseEvidenceCheck(ok=False, problems=[f"the package has no {', '.join(missing)}"])
        chain = json.loads(archive.read(AUDIT_CHAIN))
        proof = json.loads(archive.read(AUDIT_PROOF))
        signed_head = archive.read(AUDIT_TREE_HEAD).decode("ascii")
        token = archive.read(AUDIT_TIMESTAMP)
    return check_case_evidence(chain, proof, signed_head, token, jwk_set, trust_roots)
