"""The server's webhook deliverer: gunicorn workers each run one, and each notification arrives once, signed.

Also the settings that refuse to start a server whose webhooks cannot work.
"""

from __future__ import annotations

import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from api.settings import ConfigError, load_settings
from lifecycle.webhook_signing import verify
from lifecycle.webhooks import enqueue_notification
from store import DecisionStore
from tests.helpers.server_process import Server
from tests.helpers.webhook_receiver import Receiver

SECRET = "whsec_server-tests-secret-0123456789"


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "hook.secret"
    path.write_text(SECRET + "\n")
    path.chmod(0o600)
    return path


def test_two_workers_deliver_every_notification_once_signed_and_never_log_the_secret(tmp_path, secret_file):
    db_url = f"sqlite:///{tmp_path / 'decisions.db'}"
    with Receiver() as receiver:
        env = {
            "DATABASE_URL": db_url,
            "COMPLAINTS_WEBHOOK_URLS": receiver.url("/hooks"),
            "COMPLAINTS_WEBHOOK_SECRET_FILE": str(secret_file),
            "COMPLAINTS_WEBHOOK_DELIVER": "1",
            "COMPLAINTS_WEBHOOK_POLL_SECONDS": "1",
        }
        server = Server(tmp_path, env, workers=2).start()
        try:
            store = DecisionStore(db_url)
            events = 20
            for number in range(events):
                enqueue_notification(store, "deadline.breached", {"complaint_id": f"C-{number}"})
            deadline = time.monotonic() + 120  # a bound on waiting, not a timing assertion
            while len(receiver.at("/hooks")) < events and time.monotonic() < deadline:
                time.sleep(0.2)
            got = receiver.at("/hooks")
            assert len(got) == events, server.log()
            assert set(receiver.event_counts().values()) == {1}
            for item in got:
                verify(item.headers["Complaints-Signature"], item.body, [SECRET], now=time.time())
            metrics = requests.get(server.base + "/metrics", timeout=10).text
            attempts = {
                sample.labels["outcome"]: sample.value
                for family in text_string_to_metric_families(metrics)
                if family.name == "complaints_webhook_attempts"
                for sample in family.samples
                if sample.name.endswith("_total")
            }
            assert attempts == {"delivered": events}
            store.dispose()
        finally:
            server.stop()
        log = server.log_path.read_text(errors="replace")
        assert "webhook delivery on" in log and "notification delivered" in log
        assert SECRET not in log


def test_settings_refuse_webhooks_that_cannot_work(tmp_path, secret_file):
    with pytest.raises(ConfigError, match="COMPLAINTS_WEBHOOK_DELIVER=1 needs subscribers"):
        load_settings(environ={"COMPLAINTS_WEBHOOK_DELIVER": "1"})
    with pytest.raises(ConfigError, match="expected 0 \\(off\\) or 1"):
        load_settings(environ={"COMPLAINTS_WEBHOOK_DELIVER": "2"})
    with pytest.raises(ConfigError, match="COMPLAINTS_WEBHOOK_SECRET_FILE is not"):
        load_settings(environ={"COMPLAINTS_WEBHOOK_URLS": "https://hooks.example.com/in"})
    with pytest.raises(ConfigError, match="plain http"):
        load_settings(
            environ={
                "COMPLAINTS_ENV": "production",
                "COMPLAINTS_AUTH": "keys",
                "COMPLAINTS_WEBHOOK_URLS": "http://hooks.example.com/in",
                "COMPLAINTS_WEBHOOK_SECRET_FILE": str(secret_file),
            }
        )
    secret_file.chmod(0o640)
    with pytest.raises(ConfigError, match="readable by others") as refused:
        load_settings(
            environ={
                "COMPLAINTS_WEBHOOK_URLS": "https://h.example/in",
                "COMPLAINTS_WEBHOOK_SECRET_FILE": str(secret_file),
            }
        )
    assert SECRET not in str(refused.value)
    secret_file.chmod(0o600)
    settings = load_settings(
        environ={"COMPLAINTS_WEBHOOK_URLS": "https://h.example/in", "COMPLAINTS_WEBHOOK_SECRET_FILE": str(secret_file)}
    )
    assert settings.webhooks() is not None and settings.webhook_deliver == 0
    assert SECRET not in repr(settings) and SECRET not in repr(settings.webhooks())
