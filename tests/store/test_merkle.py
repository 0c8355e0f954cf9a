"""RFC 9162 Merkle trees (store/merkle.py): roots, peaks, inclusion and consistency proofs for every size
up to 70 and every leaf / prefix, and a wrong proof refused."""

from __future__ import annotations

import hashlib

import pytest

from store.merkle import (
    append_peaks,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    root_of_peaks,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [leaf_hash(f"leaf {i}".encode()) for i in range(70)]


def test_the_root_follows_rfc_9162():
    a, b, c = LEAVES[:3]
    assert root([]) == hashlib.sha256(b"").digest()
    assert root([a]) == a
    assert root([a, b, c]) == node_hash(node_hash(a, b), c)
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()


@pytest.mark.parametrize("n", range(1, 71))
def test_peaks_give_the_root_and_every_proof_verifies(n):
    leaves = LEAVES[:n]
    assert root_of_peaks(append_peaks(append_peaks([], leaves[: n // 2]), leaves[n // 2 :])) == root(leaves)
    top = root(leaves)
    for index in range(n):
        proof = inclusion_proof(index, leaves)
        assert verify_inclusion(index, n, leaves[index], proof, top)
        assert not verify_inclusion(index, n, leaf_hash(b"other"), proof, top)
    for m in range(1, n + 1):
        proof = consistency_proof(m, leaves)
        assert verify_consistency(m, n, root(leaves[:m]), top, proof), (m, n)
        if m < n:
            assert not verify_consistency(m, n, root(LEAVES[1 : m + 1]), top, proof)
