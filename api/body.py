"""Request bodies: JSON only, size-limited, amounts parsed as Decimal (never float).

A batch's items are also cut out of the body as the exact text received, so
each stored decision keeps its own request body byte for byte.
"""

from __future__ import annotations

import json
from decimal import Decimal
from json.decoder import scanstring  # type: ignore[attr-defined]  # public in CPython, absent from typeshed

from flask import request
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from api.problems import Problem
from rules.field_errors import flatten_messages

_WS = " \t\n\r"


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


def read_json(max_bytes: int) -> tuple[object, str]:
    """(parsed body, body text) of the current request, or a 400/413/415 problem."""
    if not is_json_mimetype(request.mimetype):
        sent = request.mimetype or "no Content-Type"
        raise Problem("unsupported-media-type", f"expected Content-Type: application/json, got {sent}")
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise Problem("unsupported-media-type", f"expected UTF-8 JSON, got charset={charset}")
    request.max_content_length = max_bytes
    try:
        data = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise Problem("body-too-large", f"the body exceeds {max_bytes} bytes") from None
    if len(data) > max_bytes:  # e.g. a chunked body without Content-Length
        raise Problem("body-too-large", f"the body exceeds {max_bytes} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Problem("malformed-json", f"the body is not UTF-8: {exc.reason} at byte {exc.start}") from None
    if text.startswith("\ufeff"):
        raise Problem("malformed-json", "the body starts with a byte order mark; send plain UTF-8")
    try:
        return parse(text), text
    except ValueError as exc:
        raise Problem("malformed-json", f"the body is not valid JSON: {exc}") from None


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
    if optional and not request.get_data(cache=True):
        return schema.load({})
    raw, _text = read_json(max_bytes)
    if not isinstance(raw, dict):
        raise Problem("invalid-parameters", "expected a JSON object", errors={"body": ["expected a JSON object"]})
    try:
        return schema.load(raw)
    except ValidationError as exc:
        found = flatten_messages(exc.messages)
        raise Problem(
            "invalid-parameters",
            "some parameters are not valid; see errors",
            errors={path or "body": messages for path, messages in found.items()},
        ) from None
