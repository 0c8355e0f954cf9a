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


def test_replay_benchmark_runs(tmp_path, capsys):
    from bench import replay as replay_bench

    out = tmp_path / "replay.json"
    db = tmp_path / "replay.db"
    assert replay_bench.main(["--decisions", "120", "--impact", "60", "--db", str(db), "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["store"]["decisions"] == 120
    assert report["verify"]["ok"] and report["verify"]["count"] == 120
    assert report["replay"]["results"] == {"identical": 120, "different": 0, "error": 0}
    assert report["impact"]["decisions"] == 60 and report["impact"]["errors"] == 0
    assert "| replay (own policy) |" in capsys.readouterr().out
    # a second run on the same file reuses it instead of filling again
    assert replay_bench.main(["--decisions", "120", "--impact", "0", "--db", str(db), "--no-verify"]) == 0
    assert "reused" in capsys.readouterr().out


def test_replay_candidate_raises_the_frontline_refund_limit():
    from bench.prepare import DEFAULT_POLICY
    from bench.replay import REFUND_LIMIT_NEW, candidate_text

    assert REFUND_LIMIT_NEW in candidate_text(str(DEFAULT_POLICY))


def test_http_benchmark_runs(tmp_path, capsys):
    from bench import http as http_bench

    out = tmp_path / "http.json"
    argv = [
        "--seconds",
        "1",
        "--targets",
        "echo,sqlite",
        "--corpus",
        "200",
        "--split",
        "60",
        "--connections",
        "4",
        "--open-connections",
        "4",
        "--event-pool",
        "40",
        "--json",
        str(out),
    ]
    assert http_bench.main(argv) == 0
    report = json.loads(out.read_text())
    for name in ("echo", "sqlite"):
        for phase in ("saturation", "50%", "80%"):
            row = report["targets"][name][phase]
            assert row["ok"] > 0 and set(row["statuses"]) == {"201"}, row
    sqlite = report["targets"]["sqlite"]
    events = sqlite["events"]
    assert events["complaints_seeded"] == 80 and events["ok"] > 0 and set(events["statuses"]) == {"201"}, events
    assert "events" not in report["targets"]["echo"]
    # warm-up and closed-loop answers after the deadline are stored too, so at least this many
    assert sqlite["stored_decisions"] >= sum(sqlite[p]["ok"] for p in ("saturation", "50%", "80%"))
    assert sqlite["in_process"]["n"] == 10
    assert "sqlite / echo ceiling" in report["ratios"]
    assert "| sqlite | saturation |" in capsys.readouterr().out


def test_http_profile_summary(tmp_path):
    from bench.http import summarize_profile

    stacks = tmp_path / "worker-1.txt"
    stacks.write_text(
        "run (gunicorn/workers/gthread.py:1);load (marshmallow/schema.py:2) 3\n"
        "run (gunicorn/workers/gthread.py:1);execute (sqlalchemy/engine/base.py:3) 1\n"
        "run (gunicorn/workers/gthread.py:1);select (selectors.py:4) 4\n"
    )
    summary = summarize_profile([stacks])
    assert summary["samples"] == 8 and summary["idle_share"] == 0.5
    assert summary["busy_shares"] == {"validation (marshmallow)": 0.75, "store: SQLAlchemy": 0.25}


def test_proof_benchmark_runs(tmp_path):
    from bench import proof

    out = tmp_path / "proof.json"
    assert proof.main(["--decisions", "60", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["verify"]["checkpoints"] >= 200 and report["bundle"]["decisions"] == report["decisions"]


def test_due_list_benchmark_runs(tmp_path, capsys):
    from bench import due_list

    result = due_list.main(["--decisions", "3000", "--open", "300", "--queries", "30", "--db", str(tmp_path / "q.db")])
    assert result["decisions"] == 3000 and result["queries"] == 30
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["open_deadlines"] == 300
    again = due_list.main(["--decisions", "3000", "--open", "300", "--queries", "10", "--db", str(tmp_path / "q.db")])
    assert again["fill_seconds"] == 0.0  # the kept store is reused


def test_cpu_benchmark_runs(capsys):
    from bench import cpu

    assert cpu.main(["--n", "100", "--passes", "2"]) == 0
    out = capsys.readouterr().out
    assert "engine decide() / zen engine.evaluate" in out and "µs CPU per decision" in out


def test_the_issue_17_driver_runs_its_steps_and_writes_the_table(tmp_path):
    from bench import issue17

    out = tmp_path / "run"
    assert issue17.main(["--quick", "--out", str(out), "--only", "agree", "--only", "engine", "--only", "memory"]) == 0
    text = (out / "issue17.md").read_text()
    assert "FULL AGREEMENT: 300 complaints" in text and "outcome cache verify" in text
    assert "| full explained `decide()` / zen `engine.evaluate` |" in text
    assert "| the same, outcome cache off |" in text
    assert "| memory over 2,000 full `decide()` |" in text
    steps = json.loads((out / "steps.json").read_text())
    assert [s["step"] for s in steps] == ["agree", "engine", "memory"] and all(s["exit"] == 0 for s in steps)
