"""What every benchmark shares: interleaved side-by-side timing, wall and CPU medians, the load average, and
one summary line per target so that ``make bench`` can print a single table at the end.

Interleaving: the contenders run A B B A A B ... in the same process and the same minutes, so that a
neighbour's burst of work falls on both; a ratio of two medians measured this way is what the goals quote.

    from _common import interleave, load, summary_line
    results = interleave({"ours": ours, "pdfsig": pdfsig}, runs=20, warmup=2)
    print(summary_line("verify 4 sig vs pdfsig", results["ours"], peer=results["pdfsig"], goal="<= 4x"))

A summary line starts with ``SUMMARY\t`` and is tab-separated; ``make bench`` collects them (grep) and
prints them as one table with the load average beside each.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


def load() -> tuple[float, float, float]:
    return os.getloadavg()


def load_text() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


@dataclass
class Samples:
    """Wall and CPU time of each run, in milliseconds. CPU time is this process's only (a subprocess's or a
    browser's work is not in it), so a wall median may be below the CPU median only by measurement noise."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)

    @property
    def p95(self) -> float:
        ordered = sorted(self.wall)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    def as_dict(self) -> dict:
        return {"runs": len(self.wall), "median_ms": round(self.median, 1), "p95_ms": round(self.p95, 1),
                "cpu_median_ms": round(self.cpu_median, 1), "min_ms": round(min(self.wall), 1)}


def timed(fn: Callable[[], object], samples: Samples) -> object:
    w0, c0 = time.perf_counter(), time.process_time()
    result = fn()
    samples.cpu.append((time.process_time() - c0) * 1000)
    samples.wall.append((time.perf_counter() - w0) * 1000)
    return result


def interleave(contenders: dict[str, Callable[[], object]], *, runs: int, warmup: int = 1) -> dict[str, Samples]:
    """Run each contender ``runs`` times in the order A B B A A B ... (after ``warmup`` untimed runs each)."""
    names = list(contenders)
    for _ in range(warmup):
        for name in names:
            contenders[name]()
    results = {name: Samples() for name in names}
    for i in range(runs):
        order = names if i % 2 == 0 else list(reversed(names))
        for name in order:
            timed(contenders[name], results[name])
    return results


def summary_line(target: str, ours: Samples, *, peer: Samples | None = None, goal: str = "", met: bool | None = None) -> str:
    """One tab-separated line for ``make bench``'s table: target, our median, the peer's, their ratio, the goal,
    whether it is met, and the load average at the time of printing."""
    ratio = f"{ours.median / peer.median:.2f}x" if peer is not None and peer.median else "-"
    verdict = "-" if met is None else ("met" if met else "NOT met")
    return "\t".join(["SUMMARY", target, f"{ours.median:.1f} ms", f"{peer.median:.1f} ms" if peer else "-", ratio,
                      goal or "-", verdict, load_text()])
