"""Smoke tests of the benchmark scripts (bench/): each runs on a tiny corpus; no timing is asserted."""

from __future__ import annotations

import json

import pytest

from bench import agree, corpus, memory
from bench import compile as compile_bench
from bench import engine as engine_bench
from bench.zen_graph import build_graph


def test_corpus_is_seeded_and_covers_the_vocabulary():
    first, again = corpus.generate(300), corpus.generate(300)
    assert first == again
    assert first != corpus.generate(300, seed=1)
    assert {c["category"] for c in first} == set(corpus.CATEGORIES)
    assert {c["channel"] for c in first} == set(corpus.CHANNELS)


def test_all_implementations_agree_on_2000_complaints(capsys):
    report = agree.check(n=2000)
    assert report["mismatches"] == 0, capsys.readouterr().out
    assert report["coverage"]["redirect R13_not_consumer_dispute"] > 0
    assert report["coverage"]["redirect R14_older_than_3_years"] > 0
    remedy_rules = {key for key in report["coverage"] if key.startswith("remedy ")}
    assert len(remedy_rules) >= 25


def test_agree_command_line(capsys):
    assert agree.main(["--n", "200", "--quiet"]) == 0
    assert "FULL AGREEMENT: 200 complaints" in capsys.readouterr().out


def test_engine_benchmark_runs(tmp_path, capsys):
    out = tmp_path / "engine.json"
    assert engine_bench.main(["--n", "200", "--workers", "2", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert set(report["single_thread"]) == set(engine_bench.IMPLEMENTATIONS)
    assert set(report["processes"]) == set(engine_bench.IMPLEMENTATIONS)
    assert report["single_thread"]["engine decide()"]["n"] == 200
    assert "engine decide() / zen engine.evaluate" in report["ratios"]
    assert "| engine decide() |" in capsys.readouterr().out


def test_memory_benchmark_runs(tmp_path):
    out = tmp_path / "memory.json"
    assert memory.main(["--n", "200", "--every", "100", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert [s["decisions"] for s in report["samples"]] == [100, 200]


def test_compile_benchmark_runs(tmp_path):
    out = tmp_path / "compile.json"
    assert compile_bench.main(["--reloads", "4", "--every", "2", "--repeat", "1", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    generated = report["generated_500_rules"]
    assert (generated["route_ruleset_rules"], generated["deadline_ruleset_rules"]) == (450, 50)
    assert report["same_policy_reloads"]["reloads"] == 4
    assert len(report["distinct_policy_reloads"]["rss_samples"]) == 3


def test_zen_graph_is_plain_json():
    graph = build_graph()
    assert json.loads(json.dumps(graph)) == graph
    assert [node["type"] for node in graph["nodes"]].count("decisionTableNode") == 2


def test_profile_script_runs(capsys):
    pytest.importorskip("pyinstrument")
    from bench import profile_decide

    assert profile_decide.main(["--n", "200"]) == 0
    assert "validation (marshmallow)" in capsys.readouterr().out
