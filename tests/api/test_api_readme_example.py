"""The README's worked example is what the service answers: the envelope's fields, and the decision's values."""

from __future__ import annotations

import json
import re
from pathlib import Path

from engine.version import ENGINE_VERSION

REPO = Path(__file__).resolve().parents[2]


def _readme_envelope() -> dict:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"this envelope \(abridged\):\n\n```json\n(.*?)\n```", text, flags=re.S)
    assert block, "the README's worked example lost its envelope"
    return json.loads(block.group(1))


def _same_where_shown(shown: object, real: object, path: str = "") -> list[str]:
    """Every value the README shows (not abridged with …) is the real one."""
    if isinstance(shown, str) and "…" in shown:
        prefix = shown.split("…", 1)[0]
        return [] if isinstance(real, str) and real.startswith(prefix) else [path]
    if isinstance(shown, dict):
        return [
            p
            for key, value in shown.items()
            if key != "…"
            for p in _same_where_shown(value, real[key], f"{path}.{key}")
        ]
    if isinstance(shown, list):
        return [
            p
            for i, value in enumerate(shown)
            if value != "…"
            for p in _same_where_shown(value, real[i], f"{path}[{i}]")
        ]
    return [] if shown == real else [path]


def test_the_readme_envelope_is_the_services_answer(client):
    body = (REPO / "examples" / "complaint.json").read_bytes()
    answer = client.post("/v1/decisions", data=body, content_type="application/json")
    assert answer.status_code == 201
    assert answer.headers["Location"] == f"/v1/decisions/{answer.get_json()['decision_id']}"
    real = answer.get_json()
    shown = _readme_envelope()
    assert set(shown) == set(real), "the README's envelope shows other fields than the service answers"
    assert shown["engine_version"] == ENGINE_VERSION
    for volatile in ("decision_id", "created_at", "chain_hash", "request_digest", "policy"):
        shown.pop(volatile)  # made per run and per store (and the policy's digest by the test policy)
    # Deadlines are shown in the order the service answers them, each with the fields shown.
    assert _same_where_shown(shown, real) == []
    again = client.post("/v1/decisions", data=body, content_type="application/json")
    assert again.status_code == 200 and again.get_json()["decision_id"] == real["decision_id"]  # as the README says
