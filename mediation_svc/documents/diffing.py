"""A readable comparison of two versions of a draft's inputs (pure, no database).

Inputs are nested JSON; each leaf becomes one line ``path: value`` (``payments[0].amount: 380000.00``),
long texts one line per paragraph. The result lists what was added, removed or changed by path, and a
unified diff (difflib) of the lines for people who prefer to read it that way.
"""

from __future__ import annotations

import difflib
from typing import Any


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list):
        out = {}
        for index, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{index}]"))
        if not value:
            out[prefix] = []
        return out
    return {prefix: value}


def _lines(flat: dict[str, Any]) -> list[str]:
    lines = []
    for path, value in flat.items():
        text = "" if value is None else str(value)
        parts = text.split("\n") or [""]
        lines.append(f"{path}: {parts[0]}")
        lines.extend(f"{path}  | {part}" for part in parts[1:])
    return lines


def compare(before: dict[str, Any], after: dict[str, Any], *, from_label: str = "before",
            to_label: str = "after") -> dict[str, Any]:
    a, b = flatten(before), flatten(after)
    changes = []
    for path in list(a) + [p for p in b if p not in a]:
        if path not in b:
            changes.append({"path": path, "change": "removed", "before": a[path], "after": None})
        elif path not in a:
            changes.append({"path": path, "change": "added", "before": None, "after": b[path]})
        elif a[path] != b[path]:
            changes.append({"path": path, "change": "changed", "before": a[path], "after": b[path]})
    unified = "\n".join(difflib.unified_diff(_lines(a), _lines(b), fromfile=from_label, tofile=to_label,
                                             lineterm="", n=1))
    return {"changes": changes, "unified": unified}
