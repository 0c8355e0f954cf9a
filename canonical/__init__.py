"""Canonical JSON: the one serialization that digests and hash chains are taken over."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from decimal import Decimal


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    raise TypeError(f"cannot serialize {type(value).__name__}")


def compact_encoder(sort_keys: bool, default: Callable[[object], object] | None = None) -> Callable[[object], str]:
    """``json.dumps(value, sort_keys=..., ensure_ascii=False, separators=(",", ":"), default=...)``, with
    the C encoder made once: json.dumps with options makes a new encoder on every call, a large share
    of its cost on a decision. Made without the circular-reference check: what we serialise are trees
    (parsed JSON, decisions), and a cycle still fails, as RecursionError."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return json.JSONEncoder(sort_keys=sort_keys, ensure_ascii=False, separators=(",", ":"), default=default).encode
    fallback = default or json.JSONEncoder().default
    chunks = make(None, fallback, json.encoder.encode_basestring, None, ":", ",", sort_keys, False, True)

    def encode(value: object) -> str:
        if isinstance(value, str):  # the C encoder takes containers; json.dumps of a bare string is its literal
            return json.encoder.encode_basestring(value)
        return "".join(chunks(value, 0))

    return encode


canonical_json = compact_encoder(sort_keys=True, default=_default)
canonical_json.__doc__ = "The canonical text of ``value``: sorted keys, no spaces, UTF-8 as is."


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
