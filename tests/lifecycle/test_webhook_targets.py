"""Where production sends notifications: public addresses only, unless a network is allowed.

A subscriber URL whose host is (or resolves to) loopback, link-local (169.254.169.254, cloud
metadata), a private range, unspecified, multicast, or an IPv4-mapped IPv6 form of one is refused
when the subscribers are read and again at each delivery, which connects to the address it checked.
No traffic leaves loopback here: refused addresses are literals (never connected to), and the
receiver listens on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import random

import pytest

from api.settings import ConfigError, load_settings
from lifecycle.webhook_config import AddressGuard, WebhookConfig, WebhookConfigError, build_config, not_public
from lifecycle.webhook_delivery import Deliverer
from lifecycle.webhooks import enqueue_notification
from store.outbox import DELIVERED, PENDING, deliveries
from tests.helpers.webhook_receiver import Receiver

SECRET = "whsec_test-secret-000000000000"
T0 = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
PAYLOAD = {"complaint_id": "C-1", "decision_id": "d-1", "kind": "resolution", "due_at": "2026-12-03T08:00:00+08:00"}

INSIDE = [
    ("127.0.0.1", "loopback"),
    ("::1", "loopback"),
    ("169.254.169.254", "link-local"),
    ("fe80::1", "link-local"),
    ("10.1.2.3", "private"),
    ("172.16.0.9", "private"),
    ("192.168.1.1", "private"),
    ("fd00::5", "private"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("ff02::1", "multicast"),
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:169.254.169.254", "link-local"),
    ("100.64.0.1", "not globally routable"),
]


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "webhook.secret"
    path.write_text(f"{SECRET}\n")
    path.chmod(0o600)
    return path


@pytest.mark.parametrize(("address", "words"), INSIDE)
def test_inside_addresses_are_named(address, words):
    assert words in (not_public(ipaddress.ip_address(address)) or "")


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "::ffff:93.184.216.34"])
def test_public_addresses_pass(address):
    assert not_public(ipaddress.ip_address(address)) is None


def _url(address: str, scheme: str = "https") -> str:
    host = f"[{address}]" if ":" in address else address
    return f"{scheme}://{host}:8443/hooks"


@pytest.mark.parametrize(("address", "words"), INSIDE)
def test_production_refuses_an_inside_subscriber_when_it_is_read(secret_file, address, words):
    with pytest.raises(WebhookConfigError, match="COMPLAINTS_WEBHOOK_ALLOW_NETWORKS") as refused:
        build_config(_url(address), str(secret_file), production=True)
    assert words in str(refused.value)
    assert build_config(_url(address), str(secret_file), production=False) is not None  # development: anywhere


def test_a_name_is_judged_by_what_it_resolves_to(secret_file):
    with pytest.raises(WebhookConfigError, match=r"resolves to (127\.0\.0\.1|::1) \(loopback\)"):
        build_config("https://localhost:8443/hooks", str(secret_file), production=True)


def test_an_allowed_network_may_be_sent_to(secret_file):
    config = build_config(
        "http://127.0.0.1:8000/hooks, https://10.20.3.4/in",
        str(secret_file),
        production=True,
        allow_networks="127.0.0.1, 10.20.0.0/16",
    )
    assert config is not None and config.guard is not None
    with pytest.raises(WebhookConfigError, match="10.30.0.1 \\(a private network\\)"):
        build_config("https://10.30.0.1/in", str(secret_file), production=True, allow_networks="10.20.0.0/16")
    with pytest.raises(WebhookConfigError, match="'ten' is not a network"):
        build_config("https://93.184.216.34/in", str(secret_file), production=True, allow_networks="ten")


def test_the_setting_is_read_from_the_environment(secret_file):
    base = {
        "COMPLAINTS_ENV": "production",
        "COMPLAINTS_AUTH": "keys",
        "COMPLAINTS_WEBHOOK_URLS": "https://169.254.169.254/latest/meta-data",
        "COMPLAINTS_WEBHOOK_SECRET_FILE": str(secret_file),
    }
    with pytest.raises(ConfigError, match="169.254.169.254 \\(link-local, where cloud metadata answers\\)"):
        load_settings(environ=base)
    allowed = load_settings(environ={**base, "COMPLAINTS_WEBHOOK_ALLOW_NETWORKS": "169.254.169.254/32"})
    assert allowed.webhooks() is not None


def _config(url: str, guard: AddressGuard | None) -> WebhookConfig:
    return WebhookConfig(subscribers=(url,), secrets=(SECRET,), timeout_seconds=5.0, max_attempts=4, guard=guard)


def test_delivery_checks_again_and_sends_nothing_inside(store):
    """A name that resolved to a public address when read, and to loopback now (DNS rebinding), or a
    subscriber list read before the check existed: the delivery refuses, and the receiver hears nothing."""
    with Receiver() as receiver:
        port = receiver.url("/").split(":")[2].split("/")[0]
        for url in (receiver.url("/hooks"), f"http://localhost:{port}/hooks"):
            enqueue_notification(store, "deadline.breached", {**PAYLOAD, "complaint_id": url}, now=T0)
            report = Deliverer(store, _config(url, AddressGuard()), rng=random.Random(1)).run_once(T0)
            assert (report.delivered, report.retrying) == (0, 1), report
        assert receiver.received == []
        errors = [row.last_error or "" for row in deliveries(store, statuses=(PENDING,))]
        assert len(errors) == 2 and all("production sends only to public addresses" in e for e in errors), errors
        assert any("127.0.0.1 resolves to 127.0.0.1 (loopback)" in e for e in errors), errors


def test_delivery_to_an_allowed_network_goes_to_the_address_checked(store):
    with Receiver() as receiver:
        port = receiver.url("/").split(":")[2].split("/")[0]
        enqueue_notification(store, "deadline.breached", PAYLOAD, now=T0)
        guard = AddressGuard((ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")))
        report = Deliverer(store, _config(f"http://localhost:{port}/hooks", guard), rng=random.Random(1)).run_once(T0)
        assert report.delivered == 1, deliveries(store)
        [got] = receiver.at("/hooks")
        assert got.headers["Host"] == f"localhost:{port}"  # the name is kept; only the address is pinned
        assert [row.status for row in deliveries(store, statuses=(DELIVERED,))] == [DELIVERED]
