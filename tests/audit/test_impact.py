"""Impact preview: a raised frontline refund limit changes exactly the decisions it should."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from audit.replay import impact, what_if
from bench.corpus import generate
from engine.compiled import decider_for_text
from lifecycle.decision_service import DecisionService
from store import DecisionStore
from tests.helpers.lifecycle_samples import DEFAULT_TEXT, variant

N = 400


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    path = tmp_path_factory.mktemp("impact") / "impact.db"
    store = DecisionStore(f"sqlite:///{path}")
    store.init_schema()
    service = DecisionService(decider_for_text(DEFAULT_TEXT), store)
    for complaint in generate(N, seed=7):
        service.submit(complaint, json.dumps(complaint, ensure_ascii=False))
    return store


def _affected_by_raised_limit(decision: dict) -> bool:
    """Independently of the engine: a refund between 200.00 (exclusive) and 300.00 changes approver."""
    return any(
        part["type"] in ("refund", "return_refund") and Decimal("200.00") < Decimal(part["amount"]) <= Decimal("300.00")
        for part in decision["remedy"]["components"]
    )


def test_impact_reports_exactly_the_affected_decisions(filled):
    candidate = decider_for_text(variant("2026.2", frontline_refund="300.00"))
    records = list(filled.decisions_between("2000-01-01"))
    assert len(records) == N
    expected = {r.decision_id for r in records if _affected_by_raised_limit(r.decision_dict())}
    assert 5 <= len(expected) < N  # the corpus straddles the edge
    changed = {r.decision_id for r in records if what_if(r, candidate).changed}
    assert changed == expected
    report = impact(filled.decisions_between("2000-01-01"), candidate)
    assert (report.total, report.changed, report.errors) == (N, len(expected), 0)
    assert report.by_kind["approval"] == len(expected)  # every affected refund changes approver
    assert report.by_kind.get("level", 0) <= len(expected)
    assert set(report.by_kind) <= {"approval", "level", "deadline"}
    assert report.refund_before == report.refund_after  # approvers change, money does not
    for kind, examples in report.examples.items():
        assert {e["decision_id"] for e in examples} <= expected, kind


def test_the_same_policy_changes_nothing(filled):
    report = impact(filled.decisions_between("2000-01-01"), decider_for_text(DEFAULT_TEXT))
    assert (report.total, report.changed) == (N, 0)


def test_impact_cli_prints_the_report(filled, tmp_path):
    from click.testing import CliRunner

    from cli.main import cli

    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(variant("2026.2", frontline_refund="300.00"), encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["impact", str(candidate), "--since", "2000-01-01", "--json", "--database-url", filled.url]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{") :])
    records = list(filled.decisions_between("2000-01-01"))
    assert report["changed"] == sum(_affected_by_raised_limit(r.decision_dict()) for r in records)
    assert report["policy"]["version"] == "2026.2"


def test_the_text_report_names_each_change_with_examples_and_money_by_approver(tmp_path):
    from tests.helpers.lifecycle_samples import refund_complaint

    store = DecisionStore(f"sqlite:///{tmp_path / 'text.db'}")
    store.init_schema()
    service = DecisionService(decider_for_text(DEFAULT_TEXT), store)
    for n, amount in enumerate(("150.00", "250.00", "300.01")):
        complaint = refund_complaint(f"C-{n}", "2026-10-15T10:00:00+08:00", amount=amount)
        service.submit(complaint, json.dumps(complaint))
    report = impact(store.decisions_between("2000-01-01"), decider_for_text(variant("x", frontline_refund="300.00")))
    text = report.as_text()
    assert "handling level changes: 1 decision(s)\n  C-1  route.level  supervisor → frontline" in text
    assert "  C-1  deadlines.follow_up  follow_up pending until resolved → (none)" in text
    assert "{" not in text and "'" not in text  # no Python reprs of dicts or strings
    assert "money by approval (before → after):\n  frontline   150.00 → 400.00  (+250.00)" in text
    assert "  supervisor  550.01 → 300.01  (-250.00)" in text
    money = report.as_dict()["money"]
    assert money["by_remedy_type"] == {"refund": {"before": "700.01", "after": "700.01"}}
    assert report.as_dict()["examples"]["level"][0]["complaint_id"] == "C-1"
