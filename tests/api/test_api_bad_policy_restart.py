"""A bad policy file never takes the instance down: restarted workers boot on the last good version.

Real gunicorn over loopback: the file is broken while the instance serves, then the master is
sent SIGHUP (every worker restarted) and one worker is killed (as max_requests, a crash or an
OOM kill would). Requests keep being answered, /readyz and /metrics name the bad file, and
readiness clears once a good file is back.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers.lifecycle_samples import DEFAULT_TEXT, refund_complaint, variant
from tests.helpers.server_process import Server

BROKEN = DEFAULT_TEXT.replace("\nlevels:", "\nlevelz:", 1)


def _rewrite(path, text: str) -> None:
    aside = path.with_suffix(".tmp")
    aside.write_text(text, encoding="utf-8")
    os.replace(aside, path)


def _wait(what: str, check, timeout: float = 40.0, server: Server | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}" + (f":\n{server.log()}" if server else ""))


def _gauge(base: str, name: str) -> float:
    text = requests.get(base + "/metrics", timeout=10).text
    return max(s.value for f in text_string_to_metric_families(text) for s in f.samples if s.name == name)


def _all_ready_checks(base: str, n: int = 8) -> list[str]:
    """checks.policy_reload as seen by ``n`` requests (spread over the workers)."""
    seen = []
    for _ in range(n):
        answer = requests.get(base + "/readyz", timeout=10, headers={"Connection": "close"})
        assert answer.status_code == 200, answer.text
        seen.append(answer.json()["checks"]["policy_reload"])
    return seen


def _serve_file(tmp_path, poll_seconds: int) -> tuple[Server, object]:
    """gunicorn (2 workers) deciding from its own policy file, good to begin with."""
    policy = tmp_path / "policies.yaml"
    policy.write_text(DEFAULT_TEXT, encoding="utf-8")
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'decisions.db'}",
        "COMPLAINTS_AUTH": "off",
        "COMPLAINTS_POLICY": str(policy),
        "COMPLAINTS_POLICY_POLL_SECONDS": str(poll_seconds),
    }
    return Server(tmp_path, env).start(), policy


@pytest.fixture
def instance(tmp_path):
    server, policy = _serve_file(tmp_path, 0)
    yield server, policy
    server.stop()


def test_restarts_with_a_broken_file_keep_serving_the_last_good_policy(instance):
    server, policy = instance
    good = requests.get(server.base + "/v1/policy", timeout=10).json()["digest"]
    answers: list[object] = []
    gate = threading.Lock()  # held while a worker is killed: no request is in flight then
    stop = threading.Event()

    def load() -> None:
        session = requests.Session()
        n = 0
        while not stop.is_set():
            with gate:
                try:
                    answer = session.post(
                        server.base + "/v1/decisions",
                        json=refund_complaint(f"C-{n}", "2026-07-01T10:00:00+08:00"),
                        timeout=30,
                    )
                    answers.append((answer.status_code, answer.json().get("policy", {}).get("digest")))
                except requests.RequestException as exc:
                    answers.append(repr(exc))
            n += 1

    thread = threading.Thread(target=load)
    thread.start()
    try:
        _rewrite(policy, BROKEN)
        _wait("both workers to see the bad file", lambda: all(c != "ok" for c in _all_ready_checks(server.base)))

        old = set(server.worker_pids())
        os.kill(server.process.pid, signal.SIGHUP)
        _wait(
            "the workers restarted by SIGHUP",
            lambda: len(now := set(server.worker_pids())) == 2 and not now & old,
            server=server,
        )
        with gate:
            victim = server.worker_pids()[0]
            os.kill(victim, signal.SIGKILL)
            _wait(
                "a worker to replace the killed one",
                lambda: len(now := server.worker_pids()) == 2 and victim not in now,
                server=server,
            )
        time.sleep(1.5)  # long enough for a worker that cannot boot to exit and halt the master
        assert server.process.poll() is None, server.log()
        checks = _all_ready_checks(server.base)
    finally:
        time.sleep(0.5)
        stop.set()
        thread.join(60)

    assert len(answers) > 10
    assert set(answers) == {(201, good)}, [a for a in answers if a != (201, good)][:3]
    # Every worker, restarted or not, says which file is bad and where.
    assert all("levelz" in check and str(policy) in check for check in checks), checks
    assert _gauge(server.base, "complaints_policy_source_failing") == 1
    assert _gauge(server.base, "complaints_policy_reload_failures") >= 1

    # A good file again: loaded by every worker, and readiness clears.
    _rewrite(policy, variant("2026.9", frontline_refund="300.00"))
    # Each worker reloads on its next request; keep asking until both have (the gauge is their maximum).
    _wait(
        "every worker to load the mended file",
        lambda: (
            set(_all_ready_checks(server.base, 12)) == {"ok"}
            and _gauge(server.base, "complaints_policy_source_failing") == 0
        ),
    )
    versions = requests.get(server.base + "/v1/policies", timeout=10).json()["versions"]
    assert "2026.9" in [v["version"] for v in versions]


def test_first_start_with_a_broken_file_fails_with_one_clear_line(tmp_path):
    policy = tmp_path / "policies.yaml"
    policy.write_text(BROKEN, encoding="utf-8")
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'decisions.db'}",
        "COMPLAINTS_AUTH": "off",
        "COMPLAINTS_POLICY": str(policy),
    }
    server = Server(tmp_path, env)
    with pytest.raises(RuntimeError, match="gunicorn exited with 1"):  # refused in the master, before any fork
        server.start(timeout=30)
    log = server.log()
    assert "Traceback" not in log, log
    refusing = [line for line in log.splitlines() if "refusing to start" in line]
    assert refusing, log
    assert "policies.yaml:21:1: levels: the required key `levels` is missing" in refusing[0], refusing[0]
    assert "no good version of it was ever stored" in refusing[0], refusing[0]


def test_every_worker_clears_a_mended_failure_without_being_asked(tmp_path):
    """Each worker polls its sources itself (every COMPLAINTS_POLICY_POLL_SECONDS): once the file is good
    again the failure clears in every worker's gauge and readiness, and the same after SIGHUP."""
    server, policy = _serve_file(tmp_path, 1)
    try:
        for step in ("mended", "mended after SIGHUP"):
            _rewrite(policy, BROKEN)
            _wait(
                "the workers to find the bad file", lambda: _gauge(server.base, "complaints_policy_source_failing") == 1
            )
            if step == "mended after SIGHUP":
                old = set(server.worker_pids())
                os.kill(server.process.pid, signal.SIGHUP)
                _wait("new workers", lambda old=old: len(now := set(server.worker_pids())) == 2 and not now & old)
                _wait(
                    "the new workers to report the bad file",
                    lambda: _gauge(server.base, "complaints_policy_source_failing") == 1,
                )
            _rewrite(policy, DEFAULT_TEXT)
            _wait(
                f"every worker {step}",
                lambda: _gauge(server.base, "complaints_policy_source_failing") == 0,
                server=server,
            )
            assert set(_all_ready_checks(server.base, 12)) == {"ok"}
    finally:
        server.stop()
