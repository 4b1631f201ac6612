"""Cells that a spreadsheet would run as formulas (CSV injection, OWASP): neutralised on export.

CSV: a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with a single quote,
which spreadsheet programs show as text; numbers (``-12.50``) are left as they are. ``restore`` takes the
quote off again when a file we exported is imported back. XLSX: openpyxl stores a string starting with ``=``
as a formula; ``keep_as_text`` stores it as the text it is (nothing added, nothing to restore).
"""

from __future__ import annotations

import csv
import re
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(TRIGGERS) and not _NUMBER.match(value):
        return "'" + value
    return value


def restore(value: str) -> str:
    if value.startswith("'") and value[1:].startswith(TRIGGERS) and not _NUMBER.match(value[1:]):
        return value[1:]
    return value


class SafeWriter:
    """``csv.writer`` whose rows are neutralised cell by cell."""

    def __init__(self, out, **options) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row) -> None:
        self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)


def keep_as_text(cells) -> None:
    """openpyxl cells whose string value it took for a formula, stored as plain text instead."""
    for cell in cells:
        if cell.data_type == "f" and isinstance(cell.value, str):
            cell.data_type = "s"
