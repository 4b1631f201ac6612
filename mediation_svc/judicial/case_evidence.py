"""The case's evidence in the court's package: the items shared with the court, each file under ``evidence/``
and listed (name, SHA-256, size, who gave it, when) in ``evidence/list.json`` and in the manifest itself.

Only shared items go in: the package is for the court, and the court sees what the center shared with it.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from ..evidence.models import EvidenceItem
from ..evidence.service import shared_with_court

FOLDER = "evidence/"
LIST_NAME = FOLDER + "list.json"


def entry_name(item: EvidenceItem) -> str:
    return f"{FOLDER}{item.id:04d}-{item.filename}"


def listing(items: list[EvidenceItem]) -> list[dict[str, Any]]:
    return [{"file": entry_name(i), "filename": i.filename, "media_type": i.media_type, "size": i.size,
             "sha256": i.sha256, "uploaded_by": i.uploaded_by, "side": i.side, "description": i.description,
             "created_at": i.created_at.isoformat()} for i in items]


def evidence_files(session: Session, *, case_id: int) -> tuple[dict[str, bytes], list[dict[str, Any]]]:
    """(files for the package, the list for its manifest); no files when nothing is shared but the list."""
    items = shared_with_court(session, case_id=case_id)
    entries = listing(items)
    files = {entry_name(i): i.data for i in items}
    files[LIST_NAME] = json.dumps({"case_id": case_id, "hash_algorithm": "SHA-256", "items": entries},
                                  ensure_ascii=False, indent=2).encode("utf-8")
    return files, entries
