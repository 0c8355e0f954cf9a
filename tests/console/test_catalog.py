"""The Chinese catalog is complete and compiled: every label the pages and views use has a translation,
and the committed .mo is what the .po compiles to (so a fresh clone serves Chinese with no build step)."""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

CONSOLE = Path(__file__).resolve().parents[2] / "console"
PO = CONSOLE / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]


def _used() -> set:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(CONSOLE), METHODS, keywords=KEYWORDS, options_map={"templates/**.html": {}}
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def test_the_scan_finds_labels_in_views_and_templates():
    used = _used()
    assert "Wrong username or password." in used  # console/web.py
    assert "Search decisions" in used  # templates/search.html


def test_every_label_has_a_chinese_translation():
    catalog = read_po(PO.open("rb"))
    translated = {
        m.id for m in catalog if m.id and m.string and all(m.string if isinstance(m.string, tuple) else [m.string])
    }
    missing = sorted(str(m) for m in _used() - translated)
    assert missing == [], f"no Chinese for {missing}: add them to {PO.relative_to(CONSOLE.parent)} and compile"


def _key(value):
    return value if isinstance(value, str) else tuple(value)


def test_the_committed_mo_is_the_compiled_po():
    compiled = io.BytesIO()
    write_mo(compiled, read_po(PO.open("rb")))
    compiled.seek(0)
    committed = read_mo(MO.open("rb"))
    fresh = read_mo(compiled)

    def table(catalog) -> dict:
        return {_key(m.id): _key(m.string) for m in catalog if m.id}

    assert table(committed) == table(fresh), "messages.mo is stale: pybabel compile -d console/translations"
