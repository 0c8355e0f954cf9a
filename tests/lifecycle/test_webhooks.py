"""Outbound webhooks against a real receiver on loopback, on SQLite and on PostgreSQL.

Every test states "now" and seeds the jitter, so retries are exact; nothing asserts a duration.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import random
import subprocess
import sys
import threading

import pytest

from api.logs import JsonFormatter
from lifecycle.webhook_config import WebhookConfig, WebhookConfigError, build_config, display_url, read_secrets
from lifecycle.webhook_delivery import Deliverer, retry_delay
from lifecycle.webhook_signing import SignatureError, sign, verify
from lifecycle.webhooks import KINDS, NotificationError, enqueue_notification, event_id_for
from store import DecisionStore
from store.outbox import DEAD, DELIVERED, PENDING, claim, deliveries, depth
from tests.helpers.server_process import free_port
from tests.helpers.webhook_receiver import Receiver

T0 = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
SECRET = "whsec_" + "k3y-for-the-tests-0123456789abcdef"
PAYLOAD = {
    "complaint_id": "C-2026-0001",
    "deadline": {"kind": "resolution", "due_at": "2026-12-02T18:00:00+08:00", "legal": True},
    "refund": "199.00",
}


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "webhook.secret"
    path.write_text(f"# the signing secret\n{SECRET}\n")
    path.chmod(0o600)
    return path


def config_for(*urls: str, **overrides) -> WebhookConfig:
    values = {"subscribers": urls, "secrets": (SECRET,), "timeout_seconds": 5.0, "max_attempts": 4}
    return WebhookConfig(**{**values, **overrides})


def deliverer(store, config, seed: int = 7) -> Deliverer:
    return Deliverer(store, config, rng=random.Random(seed))


def only(store, status=(PENDING, DELIVERED, DEAD)):
    [row] = deliveries(store, statuses=status)
    return row


def test_the_receiver_verifies_the_signature_over_the_exact_body(store, receiver):
    enqueue_notification(store, "deadline.breached", PAYLOAD, now=T0)
    report = deliverer(store, config_for(receiver.url("/hooks"))).run_once(T0)
    assert (report.delivered, report.retrying, report.dead) == (1, 0, 0)
    [got] = receiver.at("/hooks")
    timestamp = verify(got.headers["Complaints-Signature"], got.body, [SECRET], now=T0.timestamp())
    assert timestamp == int(T0.timestamp())
    body = json.loads(got.body)
    assert body == {
        "format": "complaints-webhook/1",
        "id": got.headers["Complaints-Event-Id"],
        "type": "deadline.breached",
        "created_at": "2026-12-02T08:00:00.000000+08:00",
        "data": PAYLOAD,
    }
    assert got.headers["Complaints-Event-Type"] == "deadline.breached"
    assert got.headers["Complaints-Delivery-Attempt"] == "1"
    assert got.headers["Content-Type"] == "application/json; charset=utf-8"
    row = only(store, (DELIVERED,))
    assert (row.attempts, row.last_status, row.lease_owner) == (1, 200, None)
    # What a receiver must refuse: another body, another secret, an old (replayed) request.
    header = got.headers["Complaints-Signature"]
    with pytest.raises(SignatureError, match="does not match"):
        verify(header, got.body.replace(b"199.00", b"999.00"), [SECRET], now=T0.timestamp())
    with pytest.raises(SignatureError, match="does not match"):
        verify(header, got.body, ["whsec_some-other-secret-entirely"], now=T0.timestamp())
    with pytest.raises(SignatureError, match="replay"):
        verify(header, got.body, [SECRET], now=T0.timestamp() + 301)
    assert verify(header, got.body, [SECRET], now=T0.timestamp() + 300) == timestamp
    with pytest.raises(SignatureError, match="no Complaints-Signature"):
        verify(None, got.body, [SECRET], now=T0.timestamp())
    with pytest.raises(SignatureError, match="no v1"):
        verify(f"t={timestamp}", got.body, [SECRET], now=T0.timestamp())


def test_every_secret_of_a_rotation_signs_and_either_verifies():
    header = sign(["whsec_the-new-secret-0000", "whsec_the-old-secret-1111"], 1_764_633_600, b"{}")
    assert header.count("v1=") == 2
    for secret in ("whsec_the-new-secret-0000", "whsec_the-old-secret-1111"):
        assert verify(header, b"{}", [secret], now=1_764_633_600) == 1_764_633_600


def test_a_500_is_retried_with_backoff_until_it_succeeds(store, receiver):
    receiver.script("/flaky", 500, 503)
    config = config_for(receiver.url("/flaky"), backoff_seconds=30, backoff_max_seconds=3600)
    sender = deliverer(store, config, seed=11)
    expected = random.Random(11)
    enqueue_notification(store, "decision.escalated", PAYLOAD, now=T0)

    assert sender.run_once(T0).retrying == 1
    row = only(store)
    first_wait = retry_delay(1, config, expected)
    assert 15 <= first_wait <= 30
    assert dt.datetime.fromisoformat(row.next_attempt_at) == T0 + dt.timedelta(seconds=first_wait)
    assert (row.status, row.attempts, row.last_status, row.last_error) == (PENDING, 1, 500, "HTTP 500")
    assert sender.run_once(T0 + dt.timedelta(seconds=first_wait - 1)).attempted == 0  # not due yet

    second = T0 + dt.timedelta(seconds=first_wait)
    assert sender.run_once(second).retrying == 1
    second_wait = retry_delay(2, config, expected)
    assert 30 <= second_wait <= 60
    assert dt.datetime.fromisoformat(only(store).next_attempt_at) == second + dt.timedelta(seconds=second_wait)

    third = second + dt.timedelta(seconds=second_wait)
    assert sender.run_once(third).delivered == 1
    got = receiver.at("/flaky")
    assert [item.headers["Complaints-Delivery-Attempt"] for item in got] == ["1", "2", "3"]
    assert len({item.body for item in got}) == 1  # the same bytes every time
    assert len({item.headers["Complaints-Event-Id"] for item in got}) == 1
    for item, when in zip(got, (T0, second, third), strict=True):  # each attempt signed when it was sent
        verify(item.headers["Complaints-Signature"], item.body, [SECRET], now=when.timestamp())
    assert only(store, (DELIVERED,)).attempts == 3


def test_retry_after_from_the_receiver_lengthens_the_wait(store, receiver):
    receiver.script("/busy", 429)
    receiver.retry_after["/busy"] = "600"
    config = config_for(receiver.url("/busy"), backoff_seconds=30, backoff_max_seconds=3600)
    enqueue_notification(store, "deadline.due_soon", PAYLOAD, now=T0)
    deliverer(store, config).run_once(T0)
    assert dt.datetime.fromisoformat(only(store).next_attempt_at) == T0 + dt.timedelta(seconds=600)


def test_the_backoff_doubles_up_to_its_cap_with_half_of_it_jittered():
    config = config_for("http://127.0.0.1:9/", backoff_seconds=30, backoff_max_seconds=600)
    for attempt, ceiling in [(1, 30), (2, 60), (3, 120), (5, 480), (6, 600), (40, 600)]:
        waits = [retry_delay(attempt, config, random.Random(seed)) for seed in range(50)]
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
        assert len(set(waits)) > 1  # jittered
    assert retry_delay(3, config, random.Random(5)) == retry_delay(3, config, random.Random(5))


def test_a_delivery_is_dead_after_its_last_attempt_kept_and_can_be_revived(store, receiver):
    from store.outbox import revive

    receiver.script("/down", *[500] * 10)
    config = config_for(receiver.url("/down"), max_attempts=3, backoff_max_seconds=3600)
    sender = deliverer(store, config)
    enqueue_notification(store, "deadline.breached", PAYLOAD, now=T0)
    outcomes = []
    for hours in range(5):  # each pass late enough for any wait
        report = sender.run_once(T0 + dt.timedelta(hours=hours * 2))
        outcomes.append((report.retrying, report.dead))
    assert outcomes == [(1, 0), (1, 0), (0, 1), (0, 0), (0, 0)]
    assert len(receiver.at("/down")) == 3
    row = only(store, (DEAD,))
    assert (row.attempts, row.last_status, row.last_error) == (3, 500, "HTTP 500")
    assert depth(store) == {"queued": 0, PENDING: 0, DELIVERED: 0, DEAD: 1}

    later = T0 + dt.timedelta(days=1)
    assert revive(store, later, [row.id + 1000]) == 0  # not a dead row: nothing changes
    assert revive(store, later, [row.id]) == 1
    receiver.script("/down")  # the receiver is back
    assert sender.run_once(later).delivered == 1
    assert only(store, (DELIVERED,)).attempts == 1


def test_a_slow_receiver_times_out_and_the_others_are_still_served(store, receiver):
    config = config_for(receiver.url("/slow"), receiver.url("/fast"), timeout_seconds=0.3)
    enqueue_notification(store, "deadline.breached", PAYLOAD, now=T0)
    report = deliverer(store, config).run_once(T0)  # returns although /slow never answers
    assert (report.delivered, report.retrying) == (1, 1)
    rows = {display_url(row.subscriber): row for row in deliveries(store, statuses=(PENDING, DELIVERED))}
    assert rows[receiver.url("/fast")].status == DELIVERED
    slow = rows[receiver.url("/slow")]
    assert (slow.status, slow.last_status, slow.last_error) == (PENDING, None, "no answer within 0.3 s")
    assert len(receiver.at("/slow")) == 1


def test_a_refused_connection_is_retried(store):
    nobody = f"http://127.0.0.1:{free_port()}/gone"  # a port nothing listens on
    enqueue_notification(store, "deadline.breached", PAYLOAD, now=T0)
    assert deliverer(store, config_for(nobody)).run_once(T0).retrying == 1
    assert "ConnectionRefusedError" in only(store).last_error


def test_a_leased_row_is_not_sent_by_another_deliverer_until_the_lease_runs_out(store, receiver):
    """The lease is what keeps two deliverers off one row; a deliverer that died mid-send leaves its
    rows to another once the lease has run out (at least once)."""
    url = receiver.url("/hooks")
    enqueue_notification(store, "deadline.breached", PAYLOAD, now=T0)
    crashed = Deliverer(store, config_for(url), owner="crashed")
    from store.outbox import fan_out

    fan_out(store, [url], T0)
    [taken] = claim(
        store, owner="crashed", subscribers=[url], now=T0, lease_until=T0 + dt.timedelta(minutes=5), limit=5
    )
    other = deliverer(store, config_for(url))
    assert other.run_once(T0 + dt.timedelta(minutes=4)).attempted == 0
    assert receiver.received == []
    assert other.run_once(T0 + dt.timedelta(minutes=5)).delivered == 1
    assert len(receiver.at("/hooks")) == 1
    assert only(store, (DELIVERED,)).attempts == 2  # the crashed claim counted
    # The crashed deliverer's late outcome does not overwrite the one recorded.
    from store.outbox import settle

    assert not settle(store, taken.id, crashed.owner, status=DEAD, at=T0, http_status=None, error="late")
    assert only(store, (DELIVERED,)).status == DELIVERED


def _deliver_once(store_url: str, urls: str, secret_file) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": store_url,
        "COMPLAINTS_WEBHOOK_URLS": urls,
        "COMPLAINTS_WEBHOOK_SECRET_FILE": str(secret_file),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "webhooks", "deliver", "--once"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_deliverers_at_once_send_each_event_once(store, store_url, receiver, secret_file):
    events = 60
    for number in range(events):
        enqueue_notification(store, KINDS[number % 3], {**PAYLOAD, "number": number}, now=T0)
    urls = f"{receiver.url('/a')}, {receiver.url('/b')}"
    runs = [_deliver_once(store_url, urls, secret_file) for _ in range(2)]
    outputs = [run.communicate(timeout=120) for run in runs]
    for run, (out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err
        assert SECRET not in out + err
    for path in ("/a", "/b"):
        got = receiver.at(path)
        counts = {}
        for item in got:
            verify(item.headers["Complaints-Signature"], item.body, [SECRET], now=json_time(item))
            counts[item.headers["Complaints-Event-Id"]] = counts.get(item.headers["Complaints-Event-Id"], 0) + 1
        assert len(counts) == events and set(counts.values()) == {1}, path
    assert depth(store) == {"queued": 0, PENDING: 0, DELIVERED: 2 * events, DEAD: 0}
    lines = [line for out, _err in outputs for line in out.splitlines() if line.startswith("delivered ")]
    assert len(lines) == 2 * events


def json_time(item) -> float:
    return float(item.headers["Complaints-Signature"].split(",")[0][2:])


def test_an_unknown_kind_or_a_bad_payload_is_refused_and_nothing_is_queued(store):
    with pytest.raises(NotificationError, match="kind 'deadline.missed': expected one of deadline.due_soon"):
        enqueue_notification(store, "deadline.missed", PAYLOAD)
    with pytest.raises(NotificationError, match="payload: expected a JSON object"):
        enqueue_notification(store, "deadline.breached", ["not", "an", "object"])  # type: ignore[arg-type]
    with pytest.raises(NotificationError, match=r"payload\.refund: a float"):
        enqueue_notification(store, "deadline.breached", {"refund": 199.0})
    with pytest.raises(NotificationError, match=r"payload\.items\.1: a float"):
        enqueue_notification(store, "deadline.breached", {"items": [1, 2.5]})
    with pytest.raises(NotificationError, match=r"payload\.due_at: a time without a time zone"):
        enqueue_notification(store, "deadline.breached", {"due_at": dt.datetime(2026, 12, 2, 18, 0)})
    with pytest.raises(NotificationError, match="not JSON"):
        enqueue_notification(store, "deadline.breached", {"when": object()})
    with pytest.raises(NotificationError, match="larger than"):
        enqueue_notification(store, "deadline.breached", {"text": "x" * 70_000})
    with pytest.raises(NotificationError, match="time zone"):
        enqueue_notification(store, "deadline.breached", PAYLOAD, now=dt.datetime(2026, 12, 2, 8, 0))
    assert depth(store)["queued"] == 0


def test_a_key_queues_one_event_however_often_it_is_given(store, receiver):
    for _ in range(3):
        enqueue_notification(store, "deadline.breached", PAYLOAD, key="D-1@2026-12-02T18:00", now=T0)
    enqueue_notification(store, "deadline.due_soon", PAYLOAD, key="D-1@2026-12-02T18:00", now=T0)  # another kind
    assert depth(store)["queued"] == 2
    deliverer(store, config_for(receiver.url("/hooks"))).run_once(T0)
    ids = set(receiver.event_counts())
    assert event_id_for("deadline.breached", "D-1@2026-12-02T18:00") in ids and len(ids) == 2


def test_the_notification_commits_and_rolls_back_with_the_callers_transaction(store):
    class Refused(Exception):
        pass

    with pytest.raises(Refused), store._write() as conn:
        enqueue_notification(store, "decision.escalated", PAYLOAD, conn=conn, now=T0)
        raise Refused
    assert depth(store)["queued"] == 0
    with store._write() as conn:
        enqueue_notification(store, "decision.escalated", PAYLOAD, conn=conn, now=T0)
    assert depth(store)["queued"] == 1


def test_an_unreachable_store_is_logged_and_never_raised(tmp_path, caplog):
    (tmp_path / "not-a-dir").write_text("a file where the store's folder should be")
    store = DecisionStore(f"sqlite:///{tmp_path / 'not-a-dir' / 'x.db'}")
    with caplog.at_level(logging.ERROR, logger="complaints.webhooks"):
        enqueue_notification(store, "deadline.breached", PAYLOAD)
    assert any(record.getMessage().startswith("notification not queued") for record in caplog.records)


def test_an_event_queued_without_subscribers_waits_and_goes_to_the_ones_configured_later(store, receiver):
    enqueue_notification(store, "deadline.breached", PAYLOAD, now=T0)
    assert depth(store)["queued"] == 1  # no deliverer yet: it waits, visible
    deliverer(store, config_for(receiver.url("/late"))).run_once(T0)
    assert len(receiver.at("/late")) == 1


def test_a_removed_subscriber_keeps_its_pending_rows_and_gets_nothing(store, receiver):
    receiver.script("/old", 500)
    enqueue_notification(store, "deadline.breached", PAYLOAD, now=T0)
    deliverer(store, config_for(receiver.url("/old"))).run_once(T0)
    deliverer(store, config_for(receiver.url("/new"))).run_once(T0 + dt.timedelta(days=1))
    assert len(receiver.at("/old")) == 1 and receiver.at("/new") == []  # fanned out before /new existed
    assert only(store).status == PENDING


def test_the_secret_is_never_logged(store, receiver):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("complaints.webhooks")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    receiver.script("/down", 500, 500)
    secret_in_url = receiver.url("/down") + "?token=" + SECRET  # a URL carrying a token is masked too
    try:
        enqueue_notification(store, "deadline.breached", PAYLOAD, now=T0)
        config = config_for(
            receiver.url("/ok"), secret_in_url, receiver.url("/slow"), max_attempts=2, timeout_seconds=0.2
        )
        sender = deliverer(store, config)
        sender.run_once(T0)
        sender.run_once(T0 + dt.timedelta(hours=2))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    logged = stream.getvalue()
    assert "notification delivered" in logged and "will retry" in logged and "dead" in logged
    assert SECRET not in logged
    assert SECRET not in repr(config) and SECRET not in str(deliveries(store, statuses=(DEAD,))[0].last_error)


def test_the_configuration_is_checked_and_never_shows_the_secret(tmp_path, secret_file):
    config = build_config(
        "http://127.0.0.1:8000/hooks, https://93.184.216.34/h",  # literal addresses: no DNS look-up in a test
        str(secret_file),
        production=True,
        allow_networks="127.0.0.1/32",  # production refuses loopback unless allowed (test_webhook_targets.py)
    )
    assert config is not None and config.secrets == (SECRET,) and len(config.subscribers) == 2
    assert build_config("", "", production=True) is None
    cases = {
        ("http://ops.example.com/h", True): "plain http",
        ("ftp://ops.example.com/h", False): "not an absolute http",
        ("https://ops.example.com/h#x", False): "fragment",
        ("https://ops.example.com:99999/h", False): "is not a URL",
    }
    for (urls, production), message in cases.items():
        with pytest.raises(WebhookConfigError, match=message):
            build_config(urls, str(secret_file), production=production)
    with pytest.raises(WebhookConfigError, match="COMPLAINTS_WEBHOOK_SECRET_FILE is not"):
        build_config("https://ops.example.com/h", "", production=False)
    with pytest.raises(WebhookConfigError, match="longer than 2000"):
        build_config("https://a.example/" + "x" * 2000, str(secret_file), production=False)
    with pytest.raises(WebhookConfigError, match="TIMEOUT_MS=0: expected at least 1"):
        build_config("https://a.example/h", str(secret_file), production=False, timeout_ms=0)
    with pytest.raises(WebhookConfigError, match="expected at most 60000"):
        build_config("https://a.example/h", str(secret_file), production=False, timeout_ms=60_001)
    with pytest.raises(WebhookConfigError, match="BACKOFF_MAX_SECONDS"):
        build_config("https://a.example/h", str(secret_file), production=False, backoff_max_seconds=10)
    weak = tmp_path / "weak.secret"
    weak.write_text("short-secret\n")
    weak.chmod(0o600)
    with pytest.raises(WebhookConfigError, match="shorter than 16") as refused:
        read_secrets(str(weak))
    assert "short-secret" not in str(refused.value)
    secret_file.chmod(0o644)
    with pytest.raises(WebhookConfigError, match="readable by others") as refused:
        read_secrets(str(secret_file))
    assert SECRET not in str(refused.value)
    with pytest.raises(WebhookConfigError, match="cannot be read"):
        read_secrets(str(tmp_path / "missing"))


def test_display_url_drops_password_and_query():
    assert display_url("https://bot:pa55@hooks.example.com:8443/in?token=abc") == "https://hooks.example.com:8443/in"
    assert display_url("http://[::1]:8080/h") == "http://[::1]:8080/h"


def test_the_deliverer_thread_sends_without_being_asked(store, receiver):
    sender = Deliverer(store, config_for(receiver.url("/bg"), poll_seconds=0.05))
    arrived = threading.Event()
    sender.on_attempt = lambda outcome, _delivery, _attempt: arrived.set()
    sender.start()
    try:
        enqueue_notification(store, "decision.escalated", PAYLOAD)
        assert arrived.wait(60)
    finally:
        sender.stop()
    assert len(receiver.at("/bg")) == 1
    assert only(store, (DELIVERED,)).attempts == 1


def test_the_manuals_receiver_snippet_accepts_a_delivery_and_refuses_tampering(store, receiver):
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text(encoding="utf-8")
    section = page.split("# Notifications (webhooks)", 1)[1]
    snippet = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(snippet, "docs/webhooks.md", "exec"), namespace)  # noqa: S102 - our own documentation
    verified = namespace["verified"]

    enqueue_notification(store, "deadline.due_soon", PAYLOAD, now=T0)
    deliverer(store, config_for(receiver.url("/hooks"))).run_once(T0)
    [got] = receiver.at("/hooks")
    header = got.headers["Complaints-Signature"]
    assert verified(header, got.body, SECRET, now=T0.timestamp() + 10)
    assert not verified(header, got.body + b" ", SECRET, now=T0.timestamp())
    assert not verified(header, got.body, "whsec_another-secret-000000", now=T0.timestamp())
    assert not verified(header, got.body, SECRET, now=T0.timestamp() + 301)
    assert not verified("v1=" + header.split("v1=")[1], got.body, SECRET, now=T0.timestamp())


def test_prune_deletes_only_what_was_delivered_before_the_cut(store, receiver):
    from store.outbox import prune

    receiver.script("/down", *[500] * 5)
    enqueue_notification(store, "deadline.breached", PAYLOAD, now=T0)
    config = config_for(receiver.url("/ok"), receiver.url("/down"), max_attempts=1)
    deliverer(store, config).run_once(T0)
    enqueue_notification(store, "deadline.due_soon", PAYLOAD, now=T0 + dt.timedelta(days=2))
    deliverer(store, config_for(receiver.url("/ok"))).run_once(T0 + dt.timedelta(days=2))
    assert depth(store) == {"queued": 0, PENDING: 0, DELIVERED: 2, DEAD: 1}

    assert prune(store, T0) == (0, 0)  # nothing delivered before T0
    # The first event's delivered row goes; the event stays, its dead delivery names it.
    assert prune(store, T0 + dt.timedelta(days=1)) == (1, 0)
    assert depth(store) == {"queued": 0, PENDING: 0, DELIVERED: 1, DEAD: 1}
    assert prune(store, T0 + dt.timedelta(days=3)) == (1, 1)  # the second event, fully delivered, goes
    assert depth(store) == {"queued": 0, PENDING: 0, DELIVERED: 0, DEAD: 1}
    assert only(store, (DEAD,)).kind == "deadline.breached"
