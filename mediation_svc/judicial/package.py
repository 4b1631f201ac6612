"""The evidence package for the court (ZIP, PKWARE APPNOTE): every file listed in ``manifest.json`` with
its SHA-256 and size, and ``manifest.jws``, a JWS (RFC 7515, ES256) over exactly the bytes of
``manifest.json``, made with the center's report-signing key published at /.well-known/jwks.json.

Pure: bytes in, bytes out. ``check_package`` is what a court does on receipt: the manifest's signature,
then every file against the manifest, then nothing in the ZIP that the manifest does not list.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jose import jws

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


def check_package(data: bytes, jwk_set: dict[str, Any], *, max_bytes: int = 200 * 1024 * 1024) -> PackageCheck:
    """Verify the manifest's JWS against the published keys and every file against the manifest."""
    check = PackageCheck(ok=False)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
        if sum(i.file_size for i in infos) > max_bytes:
            check.problems.append("the package expands beyond the size limit")
            return check
        contents = {i.filename: archive.read(i) for i in infos}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        check.problems.append(f"not a readable ZIP: {exc}")
        return check
    manifest_bytes, token = contents.pop(MANIFEST, None), contents.pop(MANIFEST_JWS, None)
    if manifest_bytes is None or token is None:
        check.problems.append("manifest.json or manifest.jws is missing")
        return check
    try:
        header = jws.get_unverified_header(token.decode())
        key = next(k for k in jwk_set["keys"] if k.get("kid") == header.get("kid"))
        signed = jws.verify(token.decode(), key, algorithms=["ES256"])
    except Exception as exc:  # noqa: BLE001 - any failure means the manifest is not the center's
        check.problems.append(f"the manifest's signature does not verify: {exc}")
        return check
    if signed != manifest_bytes:
        check.problems.append("manifest.jws signs other content than manifest.json")
        return check
    manifest = json.loads(manifest_bytes)
    check.manifest = manifest
    listed = {e["name"]: e for e in manifest.get("files", [])}
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
