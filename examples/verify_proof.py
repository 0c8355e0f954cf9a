#!/usr/bin/env python3
"""Check a proof from `complaints audit prove` or `complaints audit consistency`, offline.

An auditor's own tool: it imports nothing from the complaint service, only Python's standard library and
`cryptography` (for Ed25519), so it can be read whole and run anywhere:

    python verify_proof.py PROOF.json --public-key signing.pem.pub

It checks that each signed statement the proof rests on verifies with the public key (and names that key),
then, for an inclusion proof, that the leaf (the decision's seq, id and chain hash) is at its index in the
Merkle tree whose size and root the statement signed; for a consistency proof, that the tree the first
statement signed is a prefix of the tree the second signed (RFC 9162, sections 2.1.3.2 and 2.1.4.2).
Exit 0 verified, 1 not, 2 for a file that cannot be read.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(index: int, size: int, leaf: bytes, path: list[bytes], root: bytes) -> bool:
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(m: int, n: int, first: bytes, second: bytes, proof: list[bytes]) -> bool:
    if m == n:
        return first == second and not proof
    if m == 0 or m > n or not proof:
        return False
    path = list(proof)
    if m & (m - 1) == 0:
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
            fr, sr = node(c, fr), node(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first and sr == second and sn == 0


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def signed_body(statement: dict, key: Ed25519PublicKey, problems: list[str]) -> dict | None:
    """The statement's signed JSON, if its signature verifies with ``key``."""
    name = f"statement {statement.get('id')}"
    if statement.get("key_id") != key_id(key):
        problems.append(f"{name} names key {statement.get('key_id')}, the key given is {key_id(key)}")
        return None
    try:
        key.verify(base64.b64decode(statement["signature"], validate=True), statement["statement"].encode("utf-8"))
    except (InvalidSignature, ValueError, KeyError, TypeError):
        problems.append(f"{name}: its signature does not verify with key {key_id(key)}: altered or forged")
        return None
    return json.loads(statement["statement"])


def tree_of(body: dict, log: str, problems: list[str]) -> tuple[int, bytes] | None:
    tree = (body.get("trees") or {}).get(log)
    if not isinstance(tree, dict):
        problems.append(f"statement {body.get('number')} signs no {log} tree")
        return None
    return int(tree["size"]), bytes.fromhex(tree["root"])


def check(proof: dict, key: Ed25519PublicKey) -> tuple[list[str], list[str]]:
    """(what was proved, problems)."""
    proved: list[str] = []
    problems: list[str] = []
    kind, log = proof.get("format"), proof.get("log", "decisions")
    if kind == "complaints-inclusion-proof/1":
        body = signed_body(proof["statement"], key, problems)
        tree = tree_of(body, log, problems) if body else None
        if tree is None:
            return proved, problems
        size, root = tree
        leaf = proof["leaf"].encode("utf-8")
        index, path = int(proof["index"]), [bytes.fromhex(h) for h in proof["path"]]
        if size != proof.get("tree_size"):
            problems.append(f"the proof says the tree has {proof.get('tree_size')} leaves, the statement {size}")
        elif verify_inclusion(index, size, hashlib.sha256(b"\x00" + leaf).digest(), path, root):
            entry = json.loads(leaf)
            proved.append(
                f"{log} entry {entry.get('decision_id') or entry.get('seq')} (seq {entry.get('seq')}, chain hash "
                f"{entry.get('chain_hash')}) is leaf {index} of the {size}-leaf tree signed in statement "
                f"{body['number']} at {body.get('signed_at')} by key {body.get('key_id')}"
            )
        else:
            problems.append(f"the leaf is not at index {index} of the signed tree: the proof or the entry was altered")
    elif kind == "complaints-consistency-proof/1":
        first, second = signed_body(proof["first"], key, problems), signed_body(proof["second"], key, problems)
        if first is None or second is None:
            return proved, problems
        a, b = tree_of(first, log, problems), tree_of(second, log, problems)
        if a is None or b is None:
            return proved, problems
        path = [bytes.fromhex(h) for h in proof["path"]]
        if verify_consistency(a[0], b[0], a[1], b[1], path):
            proved.append(
                f"the {log} tree of statement {first['number']} ({a[0]} leaves) is a prefix of the tree of statement "
                f"{second['number']} ({b[0]} leaves): nothing signed was rewritten in between"
            )
        else:
            problems.append(
                f"statement {second['number']}'s {log} tree does not extend statement {first['number']}'s: "
                "a fork or a rewritten log"
            )
    else:
        problems.append(f"not a proof this tool knows (format {kind!r})")
    return proved, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("proof", help="the proof file (JSON)")
    parser.add_argument("--public-key", required=True, help="the service's Ed25519 public key (PEM) you hold")
    args = parser.parse_args(argv)
    try:
        with open(args.proof, encoding="utf-8") as handle:
            proof = json.load(handle)
        with open(args.public_key, "rb") as handle:
            key = serialization.load_pem_public_key(handle.read())
    except (OSError, ValueError) as exc:
        print(f"cannot read: {exc}", file=sys.stderr)
        return 2
    if not isinstance(key, Ed25519PublicKey):
        print(f"{args.public_key}: not an Ed25519 public key", file=sys.stderr)
        return 2
    try:
        proved, problems = check(proof, key)
    except (KeyError, TypeError, ValueError) as exc:
        proved, problems = [], [f"the proof lacks a field or holds a wrong value ({type(exc).__name__}: {exc})"]
    for line in proved:
        print(f"proved: {line}")
    for line in problems:
        print(f"PROBLEM: {line}")
    print("RESULT: verified" if proved and not problems else "RESULT: NOT verified")
    return 0 if proved and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
