"""Merkle trees over the logs, as RFC 9162 (Certificate Transparency 2.0) defines them, section 2.1.

A tree of ``n`` leaves has the root MTH: sha256(0x00 || leaf data) for a leaf, sha256(0x01 || left || right)
for a node, the left subtree holding the largest power of two below ``n`` leaves. Four logs each have a
tree, and every checkpoint signs the size and root of each (``store.consistency.anchors``):

- ``decisions``: leaf ``seq - 1`` is ``{"log": "decisions", "seq", "decision_id", "chain_hash"}``;
- ``register``: the policy register's events, ``{"log": "register", "seq", "chain_hash"}``;
- ``staff``: the staff trail's events, ``{"log": "staff", "seq", "chain_hash"}``;
- ``events``: the recorded complaint events in id order, ``{"log": "events", "id", "complaint_id",
  "decision_id", "event"}``;

each leaf's data being its canonical JSON (sorted keys, no spaces, UTF-8). A checkpoint also keeps the
tree's *peaks* (the roots of the perfect subtrees the size decomposes into, largest first), so the next
checkpoint's root is computed from them and the leaves appended since: whatever happened to the rows
before, the new root extends the signed one. ``inclusion_proof`` and ``consistency_proof`` give the
proofs of RFC 9162 2.1.3 and 2.1.4; ``verify_inclusion`` and ``verify_consistency`` check them, and
examples/verify_proof.py does the same with nothing of this service imported.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from canonical import canonical_json

LOGS = ("decisions", "register", "staff", "events")


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def leaf_data(fields: dict[str, Any]) -> bytes:
    return canonical_json(fields).encode("utf-8")


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH of the leaf hashes ``leaves``; the hash of the empty string for none."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(root(leaves[:k]), root(leaves[k:]))


def append_peaks(peaks: list[tuple[int, bytes]], leaves: Iterable[bytes]) -> list[tuple[int, bytes]]:
    """The peaks ([(size, hash)], largest first) after appending ``leaves``."""
    stack = list(peaks)
    for leaf in leaves:
        stack.append((1, leaf))
        while len(stack) > 1 and stack[-1][0] == stack[-2][0]:
            (size, right), (_, left) = stack.pop(), stack.pop()
            stack.append((size * 2, node_hash(left, right)))
    return stack


def root_of_peaks(peaks: list[tuple[int, bytes]]) -> bytes:
    """MTH of the tree whose peaks these are: folded from the right (RFC 9162's split, unrolled)."""
    if not peaks:
        return hashlib.sha256(b"").digest()
    acc = peaks[-1][1]
    for _, peak in reversed(peaks[:-1]):
        acc = node_hash(peak, acc)
    return acc


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(index, D[n]) of RFC 9162 2.1.3.1."""
    n = len(leaves)
    if not 0 <= index < n:
        raise ValueError(f"leaf {index} is not in a tree of {n} leaves")
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return [*inclusion_proof(index, leaves[:k]), root(leaves[k:])]
    return [*inclusion_proof(index - k, leaves[k:]), root(leaves[:k])]


def consistency_proof(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 2.1.4.1: that the tree of the first ``m`` leaves is a prefix."""
    if not 0 < m <= len(leaves):
        raise ValueError(f"a tree of {m} leaves is not a prefix of one of {len(leaves)}")
    return _subproof(m, leaves, True)


def _subproof(m: int, leaves: Sequence[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [root(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], whole), root(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), root(leaves[:k])]


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], expected_root: bytes) -> bool:
    """RFC 9162 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root


def verify_consistency(m: int, n: int, first: bytes, second: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 2.1.4.2."""
    if m == n:
        return first == second and not proof
    if m == 0 or m > n or not proof:
        return False
    path = list(proof)
    if m & (m - 1) == 0:  # m a power of two: the first tree is a subtree, its root starts the path
        path.insert(0, first)
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first and sr == second and sn == 0


def peaks_out(peaks: list[tuple[int, bytes]]) -> list[list[Any]]:
    return [[size, value.hex()] for size, value in peaks]


def peaks_in(value: object) -> list[tuple[int, bytes]]:
    if not isinstance(value, list):
        return []
    return [(int(size), bytes.fromhex(text)) for size, text in value]
