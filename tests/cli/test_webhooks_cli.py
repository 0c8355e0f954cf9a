"""`complaints webhooks deliver | list | retry` on a real store, against a real receiver on loopback."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from cli.main import cli
from lifecycle.webhooks import enqueue_notification
from store import DecisionStore
from tests.helpers.webhook_receiver import Receiver

SECRET = "whsec_cli-tests-secret-0123456789"


@pytest.fixture
def setup(tmp_path):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    store = DecisionStore(url)
    store.init_schema()
    secret = tmp_path / "hook.secret"
    secret.write_text(SECRET + "\n")
    secret.chmod(0o600)
    with Receiver() as receiver:
        yield store, url, secret, receiver
    store.dispose()


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_deliver_refuses_without_subscribers_or_without_a_secret(setup):
    _store, url, secret, receiver = setup
    result = run("webhooks", "deliver", "--once", "--database-url", url, env={"COMPLAINTS_WEBHOOK_URLS": ""})
    assert result.exit_code == 2 and "no subscriber" in result.stderr
    result = run(
        "webhooks",
        "deliver",
        "--once",
        "--urls",
        receiver.url("/h"),
        "--database-url",
        url,
        env={"COMPLAINTS_WEBHOOK_SECRET_FILE": ""},
    )
    assert result.exit_code == 2 and "COMPLAINTS_WEBHOOK_SECRET_FILE is not" in result.stderr


def test_a_dead_delivery_is_listed_retried_and_then_delivered(setup):
    store, url, secret, receiver = setup
    receiver.script("/in", 500)
    now = dt.datetime.now(dt.UTC)
    enqueue_notification(store, "deadline.breached", {"complaint_id": "C-1"}, now=now)
    env = {"COMPLAINTS_WEBHOOK_URLS": receiver.url("/in") + "?token=abc", "COMPLAINTS_WEBHOOK_SECRET_FILE": str(secret)}
    args = ("webhooks", "deliver", "--once", "--max-attempts", "1", "--database-url", url)

    result = run(*args, env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("dead ")
    assert "0 delivered, 0 to retry, 1 dead; outbox: 0 queued, 0 pending, 0 delivered, 1 dead" in result.stdout
    assert "token=abc" not in result.output and SECRET not in result.output

    listed = run("webhooks", "list", "--database-url", url)
    assert listed.exit_code == 0
    header, row = listed.stdout.splitlines()
    assert header == "outbox: 0 queued, 0 pending, 0 delivered, 1 dead"
    assert " dead " in row and "deadline.breached" in row and row.endswith(f"{receiver.url('/in')}  HTTP 500")
    [item] = [json.loads(line) for line in run("webhooks", "list", "--json", "--database-url", url).stdout.splitlines()]
    assert item["status"] == "dead" and item["body"]["data"] == {"complaint_id": "C-1"}
    assert item["subscriber"] == receiver.url("/in") and item["next_attempt_at"].endswith("+08:00")
    assert run("webhooks", "list", "--status", "delivered", "--database-url", url).stdout.splitlines()[1:] == []

    assert run("webhooks", "retry", "--database-url", url).exit_code == 2
    missing = run("webhooks", "retry", str(item["id"] + 50), "--database-url", url)
    assert missing.exit_code == 1 and "0 dead deliveries pending again" in missing.stdout
    revived = run("webhooks", "retry", "--all-dead", "--database-url", url)
    assert revived.exit_code == 0 and "1 dead delivery pending again" in revived.stdout

    result = run(*args, env=env)
    assert result.exit_code == 0 and result.stdout.startswith("delivered ")
    assert len(receiver.at("/in")) == 2
    assert run("webhooks", "list", "--status", "all", "--database-url", url).stdout.splitlines()[0] == (
        "outbox: 0 queued, 0 pending, 1 delivered, 0 dead"
    )


def test_prune_keeps_what_was_delivered_recently(setup):
    store, url, secret, receiver = setup
    enqueue_notification(store, "decision.escalated", {"complaint_id": "C-2"})
    env = {"COMPLAINTS_WEBHOOK_URLS": receiver.url("/in"), "COMPLAINTS_WEBHOOK_SECRET_FILE": str(secret)}
    assert run("webhooks", "deliver", "--once", "--database-url", url, env=env).exit_code == 0
    result = run("webhooks", "prune", "--older-than-days", "1", "--database-url", url)
    assert result.exit_code == 0
    assert result.stdout.strip() == "0 delivered deliveries and 0 events older than 1 days deleted"
    assert run("webhooks", "prune", "--older-than-days", "0", "--database-url", url).exit_code == 2
