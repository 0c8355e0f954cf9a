"""The governance commands on the store, as the operator's tool: it records itself and cannot approve."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from click.testing import CliRunner

from cli.main import cli
from store import DecisionStore
from store.governance import PolicyRegister
from tests.helpers.governance_samples import TESTS_TEXT, dated


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'governance.db'}"
    DecisionStore(url).init_schema()
    return url


def _files(tmp_path, days: float, version: str = "2026.2"):
    effective = (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).replace(second=0, microsecond=0)
    policy = tmp_path / f"{version}.yaml"
    policy.write_text(dated(version, effective), encoding="utf-8")
    (tmp_path / f"{version}.tests.yaml").write_text(TESTS_TEXT, encoding="utf-8")
    return policy


def test_the_operator_proposes_and_withdraws_but_cannot_approve(tmp_path, db):
    runner = CliRunner()
    policy = _files(tmp_path, 8)
    proposed = runner.invoke(cli, ["propose", str(policy), "--reason", "raise the limit", "--database-url", db])
    assert proposed.exit_code == 0, proposed.output
    assert "proposed: version 2026.2" in proposed.stdout and "it needs another person's approval" in proposed.stdout
    assert re.search(r"policy tests: \d+ passed, 0 failed; coverage 100%", proposed.stdout), proposed.stdout
    (event,) = PolicyRegister(DecisionStore(db)).events()
    assert event.actor.startswith("operator:") and event.actor_name.startswith("operator's command line (")
    digest = event.digest
    before = PolicyRegister(DecisionStore(db)).last_seq()
    approve = runner.invoke(cli, ["approve", digest[:12], "--comment", "ok", "--database-url", db])
    assert approve.exit_code == 1
    assert "refused by rule operator_cannot_approve" in approve.stderr
    assert PolicyRegister(DecisionStore(db)).last_seq() == before
    review = runner.invoke(cli, ["review", digest[:12], "--database-url", db, "--json"])
    assert json.loads(review.stdout)["state"] == "proposed"
    listed = runner.invoke(cli, ["versions", "--database-url", db])
    assert "2026.2" in listed.stdout and "proposed" in listed.stdout
    notice = runner.invoke(cli, ["notice", digest[:12], "--database-url", db, "--lang", "zh"])
    assert notice.exit_code == 0 and "草案" in notice.stdout and "平台规则变更公示" in notice.stdout
    withdrawn = runner.invoke(cli, ["withdraw", digest[:12], "--reason", "wrong date", "--database-url", db])
    assert withdrawn.exit_code == 0 and "withdrawn" in withdrawn.stdout
    again = runner.invoke(cli, ["withdraw", digest[:12], "--reason", "twice", "--database-url", db])
    assert again.exit_code == 1 and "refused by rule wrong_state" in again.stderr


def test_a_refused_proposal_exits_1_naming_the_rule_and_records_nothing(tmp_path, db):
    runner = CliRunner()
    policy = _files(tmp_path, 3)
    result = runner.invoke(cli, ["propose", str(policy), "--reason", "soon", "--database-url", db])
    assert result.exit_code == 1 and "refused by rule notice_too_short" in result.stderr
    assert PolicyRegister(DecisionStore(db)).events() == []
    short = runner.invoke(
        cli,
        ["propose", str(policy), "--reason", "soon", "--short-notice-reason", "regulator order", "--database-url", db],
    )
    assert short.exit_code == 0, short.output
    assert "shorter notice acknowledged: regulator order" in short.stdout


def test_a_server_command_needs_a_key(tmp_path, monkeypatch):
    monkeypatch.delenv("COMPLAINTS_API_KEY", raising=False)
    result = CliRunner().invoke(cli, ["versions", "--server", "http://127.0.0.1:9"])
    assert result.exit_code == 1 and "COMPLAINTS_API_KEY" in result.stderr
