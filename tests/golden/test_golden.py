"""A decision changes (any byte of it) only with a new engine version: the golden corpus holds the promise."""

from __future__ import annotations

import json

from engine.version import ENGINE_VERSION
from tests.golden import corpus


def test_the_golden_corpus_decides_as_recorded_for_this_engine_version():
    recorded = corpus.recorded()
    assert ENGINE_VERSION in recorded, (
        f"no golden digest recorded for engine {ENGINE_VERSION}: run `python -m tests.golden.corpus --update`"
    )
    assert corpus.digest() == recorded[ENGINE_VERSION], (
        f"decisions changed under engine {ENGINE_VERSION}, whose decisions are recorded in "
        "tests/golden/engine_versions.json: a change of any decision needs a new version in pyproject.toml "
        "(then `python -m tests.golden.corpus --update` records its digest)"
    )


def test_the_corpus_has_thousands_of_complaints_and_event_lives():
    requests = corpus.requests()
    lives = [r for r in requests if isinstance(r, dict) and r.get("evaluation") == "events"]
    assert len(requests) >= 3000 and len(lives) >= 1000
    assert {event["type"] for life in lives for event in life["events"]} == set(corpus.LIFE)


def test_one_byte_of_policy_output_changes_the_digest():
    """A rule's description changed by one character (it is in every explanation that cites the rule)."""
    text = corpus.POLICY.read_text(encoding="utf-8")
    original = "A quality defect on an order above 2,000.00 goes to quality assurance."
    assert original in text
    changed = corpus.decider_with_text(text.replace(original, original[:-1] + "!"))
    unchanged = corpus.decider_with_text(text)
    assert corpus.digest(unchanged, n=300) != corpus.digest(changed, n=300)


def test_one_byte_of_engine_output_changes_the_digest(monkeypatch):
    """The engine itself: one byte more in one field of every decision is caught, the policy unchanged."""
    decider = corpus.decider_with_text(corpus.POLICY.read_text(encoding="utf-8"))
    before = corpus.digest(decider, n=300)
    decide_request = decider.decide_request

    def one_byte_more(raw):
        decision = decide_request(raw)
        return {**decision, "engine_version": decision["engine_version"] + " "}

    monkeypatch.setattr(decider, "decide_request", one_byte_more)
    assert corpus.digest(decider, n=300) != before


def test_update_records_the_digest_per_engine_version(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, "RECORDED", tmp_path / "engine_versions.json")
    (tmp_path / "engine_versions.json").write_text(json.dumps({"1.1.0": "0" * 64}))
    monkeypatch.setattr(corpus, "COMPLAINTS", 30)
    monkeypatch.setattr(corpus, "digest", lambda: "f" * 64)
    assert corpus.main([]) == 1  # not recorded yet: the check fails
    assert corpus.main(["--update"]) == 0
    assert json.loads((tmp_path / "engine_versions.json").read_text()) == {"1.1.0": "0" * 64, ENGINE_VERSION: "f" * 64}
    assert corpus.main([]) == 0
