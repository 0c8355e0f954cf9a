"""Request bodies: JSON only, size-limited, amounts parsed as Decimal (never float).

A body is read to at most its limit plus one byte, however it is framed (Content-Length or
chunked): one byte past the limit is a 413, never a body cut at the limit. JSON may nest arrays
and objects at most ``MAX_JSON_DEPTH`` levels, and a string may not hold a lone UTF-16
surrogate (``"\\ud800"``): neither is a complaint, and both would fail further in (recursion,
UTF-8 encoding), so they are refused here with a 400 naming the body or the field.

A batch's items are also cut out of the body as the exact text received, so
each stored decision keeps its own request body byte for byte.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from itertools import accumulate
from json.decoder import scanstring  # type: ignore[attr-defined]  # public in CPython, absent from typeshed

from flask import request
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from api.problems import Problem
from rules.field_errors import flatten_messages

_WS = " \t\n\r"
# A complaint nests 3 levels and a batch 5; the limit leaves room and keeps every reader of a
# parsed body (validation, digests, the NUL check) far from Python's recursion limit.
MAX_JSON_DEPTH = 32
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')  # linear on valid JSON (checked before it is used)
_BRACKET = re.compile(r"[\[\]{}]")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
NUL = "\x00"
NUL_MESSAGE = "text may not contain the NUL character (\\u0000); remove it"


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    result: dict = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"key {key!r} appears twice in one object")
        result[key] = value
    return result


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_float=Decimal, parse_constant=_no_constant, object_pairs_hook=_no_duplicates)


def is_json_mimetype(mimetype: str) -> bool:
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def read_body(max_bytes: int) -> bytes:
    """The raw body of the current request, or a 413 past ``max_bytes`` / a 400 if its framing is broken."""
    # One byte past the limit: a chunked body (no Content-Length) that is too long shows as too long,
    # instead of being cut at the limit and read as if complete.
    request.max_content_length = max_bytes + 1
    try:
        data = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise _too_large(max_bytes) from None
    except HTTPException:
        raise
    except Exception as exc:  # noqa: BLE001 - the server's reader failed on the framing (a bad chunk size)
        raise Problem(
            "bad-request", f"the body could not be read: {exc}", errors={"body": ["malformed body framing"]}
        ) from None
    if len(data) > max_bytes:
        raise _too_large(max_bytes)
    return data


def _too_large(max_bytes: int) -> Problem:
    return Problem(
        "body-too-large",
        f"the body exceeds {max_bytes} bytes",
        errors={"body": [f"expected at most {max_bytes} bytes"]},
    )


def read_json(max_bytes: int) -> tuple[object, str]:
    """(parsed body, body text) of the current request, or a 400/413/415 problem."""
    if not is_json_mimetype(request.mimetype):
        sent = request.mimetype or "no Content-Type"
        raise Problem("unsupported-media-type", f"expected Content-Type: application/json, got {sent}")
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise Problem("unsupported-media-type", f"expected UTF-8 JSON, got charset={charset}")
    data = read_body(max_bytes)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Problem("malformed-json", f"the body is not UTF-8: {exc.reason} at byte {exc.start}") from None
    if text.startswith("\ufeff"):
        raise Problem("malformed-json", "the body starts with a byte order mark; send plain UTF-8")
    try:
        value = parse(text)
    except RecursionError:
        raise _too_deep() from None
    except ValueError as exc:
        raise Problem("malformed-json", f"the body is not valid JSON: {exc}") from None
    if json_depth(text) > MAX_JSON_DEPTH:
        raise _too_deep()
    if _SURROGATE_ESCAPE.search(text):
        lone = lone_surrogates(value)
        if lone:
            raise Problem(
                "malformed-json",
                "the body holds a lone UTF-16 surrogate escape, which is not a character",
                errors={
                    path: [
                        f"{escaped}: a lone surrogate is not a character; send the character itself, "
                        "or a high and low surrogate pair"
                    ]
                    for path, escaped in lone.items()
                },
            )
    return value, text


def _too_deep() -> Problem:
    return Problem(
        "malformed-json",
        f"the body nests arrays and objects deeper than {MAX_JSON_DEPTH} levels",
        errors={"body": [f"expected at most {MAX_JSON_DEPTH} levels of nested arrays and objects"]},
    )


def json_depth(text: str) -> int:
    """How deep arrays and objects nest in ``text``, which must be valid JSON."""
    brackets = _BRACKET.findall(_STRING.sub("", text))
    return max(accumulate(_DEPTH_STEP[b] for b in brackets), default=0)


def lone_surrogates(value: object) -> dict[str, str]:
    """Dotted path -> the offending text (escaped), for each key or string holding a lone surrogate."""
    return _strings_where(value, lambda text: not _encodable(text))


def nul_fields(value: object) -> list[str]:
    """Dotted paths of the keys and strings holding U+0000, which PostgreSQL text cannot store."""
    return sorted(_strings_where(value, lambda text: NUL in text))


def _strings_where(value: object, bad: Callable[[str], bool]) -> dict[str, str]:
    """Dotted path -> the text (escaped), for each key or string of ``value`` that is ``bad``."""
    found: dict[str, str] = {}
    stack: list[tuple[str, object]] = [("", value)]  # no recursion: the depth is checked before, but cheaply
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if bad(item):
                found[path or "body"] = _escaped(item)
        elif isinstance(item, dict):
            for key, child in item.items():
                if bad(key):
                    found[f"{path}.{_escaped(key)}" if path else _escaped(key)] = _escaped(key)
                    continue
                stack.append((f"{path}.{key}" if path else key, child))
        elif isinstance(item, list):
            stack.extend((f"{path}.{index}" if path else str(index), child) for index, child in enumerate(item))
    return found


def refuse_nul(where: str, values: dict[str, str]) -> None:
    """A 422 problem naming each of ``values`` (name -> text: path or query parameters) holding U+0000."""
    bad = sorted(name for name, text in values.items() if NUL in text or NUL in name)
    if bad:
        raise Problem(
            "invalid-parameters",
            f"a {where} holds the NUL character (U+0000)",
            errors={_escaped(name): [NUL_MESSAGE] for name in bad},
        )


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _escaped(text: str) -> str:
    """The text with each surrogate and NUL written as its JSON escape, so the message can be encoded and stored."""
    return "".join(f"\\u{ord(c):04x}" if 0xD800 <= ord(c) <= 0xDFFF or c == NUL else c for c in text[:80])


def parse(text: str) -> object:
    value, end = _DECODER.raw_decode(text, _skip(text, 0))
    if _skip(text, end) != len(text):
        raise ValueError(f"extra data after the JSON document at character {end}")
    return value


def _skip(text: str, index: int) -> int:
    while index < len(text) and text[index] in _WS:
        index += 1
    return index


def array_item_texts(text: str, key: str) -> list[str] | None:
    """The exact source text of each element of the array under top-level ``key``.

    ``text`` must already be known to be valid JSON. None when the top level is
    not an object or ``key`` does not hold an array (the caller reports that).
    """
    i = _skip(text, 0)
    if i >= len(text) or text[i] != "{":
        return None
    i = _skip(text, i + 1)
    found: list[str] | None = None
    if i < len(text) and text[i] == "}":
        return None
    while True:
        name, i = scanstring(text, i + 1)  # text[i] is the opening quote
        i = _skip(text, _skip(text, i) + 1)  # past ':'
        if name == key and text[i] == "[":
            items: list[str] = []
            i = _skip(text, i + 1)
            if text[i] == "]":
                i += 1
            else:
                while True:
                    _, end = _DECODER.raw_decode(text, i)
                    items.append(text[i:end])
                    i = _skip(text, end)
                    if text[i] == "]":
                        i += 1
                        break
                    i = _skip(text, i + 1)  # past ','
            found = items
        else:
            _, i = _DECODER.raw_decode(text, i)
            if name == key:
                found = None
        i = _skip(text, i)
        if text[i] == "}":
            return found
        i = _skip(text, i + 1)  # past ','


def load_body(schema: Schema, max_bytes: int, *, optional: bool = False) -> dict:
    """The JSON object body loaded by ``schema``, or a problem naming every bad parameter.

    ``optional``: an empty body means all defaults.
    """
    if optional and not read_body(max_bytes):
        return schema.load({})
    raw, text = read_json(max_bytes)
    if not isinstance(raw, dict):
        raise Problem("invalid-parameters", "expected a JSON object", errors={"body": ["expected a JSON object"]})
    if "\\u0000" in text:  # PostgreSQL text cannot hold U+0000: refused here, on every store alike
        nul = nul_fields(raw)
        if nul:
            raise Problem(
                "invalid-parameters",
                "some parameters are not valid; see errors",
                errors={p: [NUL_MESSAGE] for p in nul},
            )
    try:
        return schema.load(raw)
    except ValidationError as exc:
        found = flatten_messages(exc.messages)
        raise Problem(
            "invalid-parameters",
            "some parameters are not valid; see errors",
            errors={path or "body": messages for path, messages in found.items()},
        ) from None
