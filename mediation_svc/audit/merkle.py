"""RFC 6962 §2.1 / RFC 9162 §2.1 Merkle Tree Hash with SHA-256: leaf and node hashing, the root of a tree
grown one leaf at a time, audit paths (inclusion proofs) and their verification.

Leaves are hashed as SHA-256(0x00 || data) and interior nodes as SHA-256(0x01 || left || right), so a leaf
can never be passed off as a node. Pure functions on bytes, tested against Certificate Transparency's
reference vectors; nothing here reads the database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class Frontier:
    """The roots of the perfect subtrees that cover the leaves so far, largest first (a "compact range").

    Appending a leaf merges equal-sized subtrees, so the root of any size is known without keeping every
    leaf; the tree heads store it, and the next fold only reads the leaves it adds.
    """

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != bin(size).count("1"):
            raise ValueError("a frontier has one subtree root per set bit of the tree size")
        self.size = size
        self.hashes = list(hashes)

    def append(self, hashed_leaf: bytes) -> None:
        node, size = hashed_leaf, self.size
        while size & 1:  # the rightmost subtree has the same size as the new one: merge them
            node = node_hash(self.hashes.pop(), node)
            size >>= 1
        self.hashes.append(node)
        self.size += 1

    def root(self) -> bytes:
        if not self.hashes:
            return hashlib.sha256(b"").digest()
        node = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            node = node_hash(left, node)
        return node


def root(hashed_leaves: Iterable[bytes]) -> bytes:
    frontier = Frontier()
    for hashed in hashed_leaves:
        frontier.append(hashed)
    return frontier.root()


def _split(n: int) -> int:
    """The largest power of two smaller than n (RFC 6962's k)."""
    return 1 << ((n - 1).bit_length() - 1)


def audit_path(index: int, hashed_leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 §2.1.1: the sibling hashes from leaf ``index`` up to the root."""
    n = len(hashed_leaves)
    if not 0 <= index < n:
        raise ValueError(f"leaf {index} is not in a tree of {n}")
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return audit_path(index, hashed_leaves[:k]) + [root(hashed_leaves[k:])]
    return audit_path(index - k, hashed_leaves[k:]) + [root(hashed_leaves[:k])]


def root_from_path(index: int, size: int, hashed_leaf: bytes, path: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2: the root an inclusion proof leads to (compare it with the signed root)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    fn, sn = index, size - 1
    node = hashed_leaf
    for sibling in path:
        if sn == 0:
            raise ValueError("the proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            node = node_hash(sibling, node)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            node = node_hash(node, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("the proof is shorter than the tree is deep")
    return node
