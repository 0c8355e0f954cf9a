"""When staff add a year: diff and impact show the recorded decisions that were counted on the fallback and change."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from audit.replay import impact
from cli.main import cli
from engine.compiled import decider_for_text
from lifecycle.decision_service import DecisionService
from rules.diff import diff_policies
from rules.loader import load_policy_text
from store import DecisionStore
from tests.helpers.lifecycle_samples import DEFAULT_TEXT

# A made-up 2027 arrangement for the test (NOT the State Council's): Spring Festival 02-05..02-11,
# a make-up Saturday 02-20. The fallback knows only the statutory 02-05..02-08.
ANCHOR = "      makeup_working_days: [2026-01-04, 2026-02-14, 2026-02-28, 2026-05-09, 2026-09-20, 2026-10-10]\n"
BLOCK_2027 = """    2027:
      holidays:
        - 2027-01-01
        - 2027-02-05..2027-02-11
        - 2027-04-05
        - 2027-05-01..2027-05-02
        - 2027-06-09
        - 2027-09-15
        - 2027-10-01..2027-10-03
      makeup_working_days: [2027-02-20]
"""
WITH_2027 = DEFAULT_TEXT.replace(ANCHOR, ANCHOR + BLOCK_2027)


def regulator(complaint_id: str, received_at: str) -> dict:
    return {
        "complaint_id": complaint_id,
        "received_at": received_at,
        "channel": "regulator",
        "category": "other",
        "order": {"amount": "100.00", "paid_at": received_at.replace("T10:", "T08:")},
    }


@pytest.fixture
def recorded(tmp_path):
    store = DecisionStore(f"sqlite:///{tmp_path / 'd.db'}")
    store.init_schema()
    service = DecisionService(decider_for_text(DEFAULT_TEXT), store)
    for complaint in (
        regulator("C-spring", "2027-02-04T10:00:00+08:00"),  # 3 working days across the Spring Festival
        regulator("C-march", "2027-03-09T10:00:00+08:00"),  # an ordinary week: nothing but the flag changes
        regulator("C-2026", "2026-03-10T10:00:00+08:00"),  # a listed year: not on the fallback
    ):
        service.submit(complaint, json.dumps(complaint))
    return store


def test_diff_names_the_days_the_fallback_counted_otherwise():
    changes = diff_policies(load_policy_text(DEFAULT_TEXT), load_policy_text(WITH_2027))
    fallback = {c.item: (c.old, c.new) for c in changes if c.part == "fallback"}
    assert fallback == {
        "2027-02-09": ("a working day", "not a working day"),
        "2027-02-10": ("a working day", "not a working day"),
        "2027-02-11": ("a working day", "not a working day"),
        "2027-02-20": ("not a working day", "a working day"),
    }


def test_impact_lists_the_fallback_decisions_that_change(recorded):
    report = impact(recorded.decisions_between("2000-01-01"), decider_for_text(WITH_2027))
    summary = report.as_dict()["calendar_fallback"]
    assert (summary["recorded_on_fallback"], summary["now_on_listed_calendar"], summary["changed"]) == (2, 2, 1)
    (changed,) = summary["decisions"]
    spring = next(r for r in recorded.decisions_between("2000-01-01") if r.complaint_id == "C-spring")
    assert changed["decision_id"] == spring.decision_id
    assert changed["kinds"] == ["deadline"]
    assert {
        "path": "deadlines.regulator_reply.due_at",
        "before": "2027-02-11T23:59:59+08:00",
        "after": "2027-02-16T23:59:59+08:00",
    } in changed["differences"]


def test_impact_cli_says_so(recorded, tmp_path):
    candidate = tmp_path / "next.yaml"
    candidate.write_text(WITH_2027, encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["impact", str(candidate), "--since", "2000-01-01", "--database-url", recorded.url]
    )
    assert result.exit_code == 0, result.output
    assert (
        "calendar_fallback: 2 recorded decisions were counted on the calendar fallback; 2 are now counted on a "
        "listed year, 1 of them change beyond the flag:" in result.stdout
    )
    assert "(deadline): deadlines.regulator_reply.due_at: 2027-02-11T23:59:59+08:00 → 2027-02-16T23:59:59+08:00" in (
        result.stdout
    )
