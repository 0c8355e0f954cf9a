"""Replay and impact over worker processes give what one process gives, in the same chain order."""

from __future__ import annotations

import json

import pytest

from audit import records as walk
from audit.parallel import Walk, impact_report, ranges, replay_results
from audit.replay import StoredPolicies, impact
from audit.runs import replay_stream
from bench.corpus import generate
from engine.compiled import decider_for_text
from lifecycle.decision_service import DecisionService
from store import DecisionStore
from tests.helpers.lifecycle_samples import DEFAULT_TEXT, variant

N = 120


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    path = tmp_path_factory.mktemp("parallel") / "decisions.db"
    url = f"sqlite:///{path}"
    store = DecisionStore(url)
    store.init_schema()
    service = DecisionService(decider_for_text(DEFAULT_TEXT), store)
    for complaint in generate(N, seed=11):
        service.submit(complaint, json.dumps(complaint, ensure_ascii=False))
    candidate = tmp_path_factory.mktemp("candidate") / "policies.yaml"
    candidate.write_text(variant("2026.2", frontline_refund="300.00"), encoding="utf-8")
    return url, store, candidate


def test_ranges_cover_every_seq_once():
    assert ranges(0, 0) == []
    assert ranges(1, 10, size=4) == [(0, 4), (4, 8), (8, 10)]
    assert ranges(5, 5, size=4) == [(4, 5)]
    spans = ranges(3, 2500, size=1000)
    assert spans[0][0] == 2 and spans[-1][1] == 2500
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))


def test_replay_over_two_processes_streams_the_one_process_results_in_chain_order(filled):
    url, store, _ = filled
    expected = list(replay_stream(walk.in_range(store), StoredPolicies(store)))
    assert len(expected) == N and all(r["result"] == "identical" for r in expected)
    results = list(replay_results(Walk(url), workers=2, chunk=25))
    assert results == expected
    assert [r["seq"] for r in results] == list(range(1, N + 1))


def test_a_time_range_and_what_if_split_the_same_way(filled):
    url, store, candidate = filled
    records = list(walk.in_range(store))
    since, until = records[30].created_at, records[90].created_at
    cand = decider_for_text(candidate.read_text(encoding="utf-8"))
    expected = list(replay_stream(walk.in_range(store, since, until), StoredPolicies(store), cand))
    job = Walk(url, since=since, until=until, candidate_file=str(candidate))
    assert list(replay_results(job, workers=2, chunk=16)) == expected
    assert [r["seq"] for r in expected] == list(range(31, 91))
    share = list(replay_results(Walk(url, after=40, upto=77), workers=2, chunk=10))
    assert [r["seq"] for r in share] == list(range(41, 78))


def test_impact_over_two_processes_is_the_one_process_report(filled):
    url, store, candidate = filled
    cand = decider_for_text(candidate.read_text(encoding="utf-8"))
    expected = impact(walk.in_range(store), cand)
    assert expected.changed > 0  # the corpus straddles the raised limit
    report = impact_report(Walk(url, candidate_file=str(candidate)), workers=2, chunk=20)
    assert report.as_dict() == expected.as_dict()
    one = impact_report(Walk(url, candidate_file=str(candidate)), workers=1, chunk=20)
    assert one.as_dict() == expected.as_dict()


def test_the_commands_give_the_same_output_with_workers(filled):
    from click.testing import CliRunner

    from cli.main import cli

    url, _, candidate = filled
    runner = CliRunner()
    base = ["replay", "--since", "2000-01-01", "--database-url", url]
    one = runner.invoke(cli, base)
    two = runner.invoke(cli, [*base, "--workers", "2"])
    assert one.exit_code == two.exit_code == 0, two.output
    assert two.stdout == one.stdout and len(one.stdout.splitlines()) == N
    impact = ["impact", str(candidate), "--since", "2000-01-01", "--json", "--database-url", url]
    alone, split = runner.invoke(cli, impact), runner.invoke(cli, [*impact, "--workers", "2"])
    assert alone.exit_code == split.exit_code == 0, split.output
    assert json.loads(split.stdout) == json.loads(alone.stdout)


def test_merged_range_reports_keep_the_first_examples_in_chain_order(filled):
    # Small ranges and one example a kind: the examples, the counts and the sums of the merged
    # reports must be the one walk's, whichever range each change falls in.
    url, store, candidate = filled
    cand = decider_for_text(candidate.read_text(encoding="utf-8"))
    expected = impact(walk.in_range(store), cand, examples_per_kind=1)
    report = impact_report(Walk(url, candidate_file=str(candidate)), workers=2, examples_per_kind=1, chunk=5)
    assert report.as_dict() == expected.as_dict()
    assert sum(len(shown) for shown in report.examples.values()) == len(report.by_kind)
