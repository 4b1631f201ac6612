"""Print the SUMMARY lines of a ``make bench`` run (stdin) as one aligned table."""

import sys

HEADER = ["target", "ours", "peer", "ratio", "goal", "verdict", "load"]

rows = [HEADER] + [line.rstrip("\n").split("\t")[1:] for line in sys.stdin if line.startswith("SUMMARY\t")]
widths = [max(len(row[i]) if i < len(row) else 0 for row in rows) for i in range(len(HEADER))]
for row in rows:
    print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)))
