"""Every template of the wording catalog (rules/messages.py) is in both languages, with the same fields."""

from __future__ import annotations

import re

import pytest

from rules.messages import ENTRIES, HINTS, SENTENCES, UI


def _fields(template: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", template))


TEMPLATES = [
    *((f"entry:{key}", entry.en, entry.zh) for key, entry in ENTRIES.items()),
    *((f"hint:{key}", en, zh) for key, (en, zh) in HINTS.items()),
    *((f"ui:{key}", en, zh) for key, (en, zh) in UI.items()),
    *((f"sentence:{key}", en, zh) for key, (en, zh) in SENTENCES.items()),
]


@pytest.mark.parametrize(("key", "en", "zh"), TEMPLATES, ids=[t[0] for t in TEMPLATES])
def test_every_template_in_both_languages(key: str, en: str, zh: str) -> None:
    assert en.strip() and zh.strip(), key
    # The Chinese says something of its own (a bare field or code may be the same in both).
    assert zh != en or not re.sub(r"\{\w+\}|[\W_]", "", en), key
    assert _fields(en) == _fields(zh), key
