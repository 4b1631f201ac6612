"""Fairness of assignment (分案公平): per group of comparable mediators, who was assigned most and least, and
the spread between them; pure, on plain values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class GroupFairness:
    group: str
    members: int
    total: int
    most: tuple[int, int] | None  # (mediator_id, assignments)
    least: tuple[int, int] | None
    spread: int
    mean: float


def fairness(groups: Mapping[str, Sequence[int]], counts: Mapping[int, int]) -> list[GroupFairness]:
    """Per group of comparable mediators: the most and least assigned and the spread between them.
    Members without assignments count as zero; ties are broken by the lower mediator id."""
    result = []
    for name, members in groups.items():
        members = sorted(set(members))
        if not members:
            result.append(GroupFairness(name, 0, 0, None, None, 0, 0.0))
            continue
        per = [(m, counts.get(m, 0)) for m in members]
        most = min(per, key=lambda p: (-p[1], p[0]))
        least = min(per, key=lambda p: (p[1], p[0]))
        total = sum(n for _, n in per)
        result.append(GroupFairness(name, len(members), total, most, least, most[1] - least[1],
                                    round(total / len(members), 2)))
    return result
