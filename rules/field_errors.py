"""Flatten marshmallow's nested error messages into ``{dotted.path: [message, ...]}``.

The one flattener for policies, complaints and HTTP parameters: each caller
then words the messages for its readers and names the top level ("complaint",
"body", the policy document).
"""

from __future__ import annotations

from collections.abc import Collection

SCHEMA_WIDE = "_schema"  # marshmallow's key for errors of the whole (sub)schema: reported at the parent
DICT_ENTRY = ("key", "value")  # marshmallow's levels inside a Dict field's entry


def flatten_messages(
    messages: object,
    *,
    transparent: Collection[str] = (SCHEMA_WIDE,),
    transparent_at_top: Collection[str] = (),
) -> dict[str, list[str]]:
    """Every message under the dotted path of the field it is about, in the order marshmallow gave them.

    Keys in ``transparent`` add no level to the path; ``transparent_at_top`` only at the top
    (webargs nests by location: ``query``, ``json``, ``path``).
    """
    found: dict[str, list[str]] = {}
    _walk(messages, "", found, frozenset(transparent), frozenset(transparent_at_top))
    return found


def _walk(
    messages: object, prefix: str, found: dict[str, list[str]], transparent: frozenset[str], at_top: frozenset[str]
) -> None:
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = str(key)
            if name in transparent or (not prefix and name in at_top):
                child = prefix
            else:
                child = f"{prefix}.{name}" if prefix else name
            _walk(value, child, found, transparent, at_top)
    elif isinstance(messages, list | tuple):
        for item in messages:
            _walk(item, prefix, found, transparent, at_top)
    else:
        found.setdefault(prefix, []).append(str(messages))
