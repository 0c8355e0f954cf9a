"""Safe reload: a broken file never replaces the good one; swaps under load lose no request."""

from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy import text as sql

from app import create_app
from lifecycle.reloader import NoGoodPolicy
from tests.helpers.lifecycle_samples import DEFAULT_TEXT, refund_complaint, variant


@pytest.fixture
def served(tmp_path):
    policy = tmp_path / "policies.yaml"
    policy.write_text(DEFAULT_TEXT, encoding="utf-8")
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'reload.db'}",
            "COMPLAINTS_POLICY": str(policy),
            "COMPLAINTS_AUTH": "off",
            "COMPLAINTS_POLICY_POLL_SECONDS": 0,
        }
    )
    return app, policy


def _rewrite(path, text: str) -> None:
    """Replace the file the way an editor or deploy does: write aside, then rename over it."""
    aside = path.with_suffix(".tmp")
    aside.write_text(text, encoding="utf-8")
    os.replace(aside, path)


def test_a_broken_file_keeps_the_good_policy_in_force(served):
    app, policy = served
    client = app.test_client()
    good = client.get("/v1/policy").get_json()["digest"]
    _rewrite(
        policy, DEFAULT_TEXT.replace("frontline: 200.00, supervisor: 2000.00", "frontline: -1, supervisor: 2000.00")
    )
    answer = client.post("/v1/decisions", json=refund_complaint("C-1", "2026-07-01T10:00:00+08:00"))
    assert answer.status_code == 201
    assert answer.get_json()["policy"]["digest"] == good
    ready = client.get("/readyz").get_json()
    assert ready["policy"]["digest"] == good
    assert ready["checks"]["policy_reload"].startswith("failed at ")
    assert "authority.remedies.refund.limits.frontline" in ready["checks"]["policy_reload"]
    assert "complaints_policy_reload_failures 1.0" in client.get("/metrics").get_data(as_text=True)
    listed = client.get("/v1/policies").get_json()
    assert listed["reload"]["failures"] == 1 and [v["digest"] for v in listed["versions"]] == [good]
    # Mending the file brings the new text in.
    _rewrite(policy, variant("2026.9", frontline_refund="300.00"))
    answer = client.post("/v1/decisions", json=refund_complaint("C-2", "2026-07-01T10:00:00+08:00"))
    assert answer.get_json()["policy"]["version"] == "2026.9"


def test_sighup_style_request_reloads_even_when_the_file_stamp_is_unchanged(served):
    app, policy = served
    registry = app.extensions["complaints"].policies
    stat = os.stat(policy)
    text = variant("2026.8", frontline_refund="300.00")
    assert len(text.encode()) == stat.st_size  # same size: only the forced reload can notice
    policy.write_text(text, encoding="utf-8")
    os.utime(policy, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    registry.poll_seconds = 3600
    assert registry.current().latest.policy.version == "2026.1"
    registry.request_reload()
    assert registry.current().latest.policy.version == "2026.8"


def test_reload_under_load_fails_no_request_and_each_decision_has_one_version(served):
    app, policy = served
    versions = {"2026.1": "200.00", "2026.5": "300.00", "2026.6": "200.00", "2026.7": "300.00"}
    texts = [variant(v, frontline_refund=limit) for v, limit in versions.items()]
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def post(worker: int) -> None:
        client = app.test_client()
        n = 0
        while not stop.is_set() or n < 20:
            complaint = refund_complaint(f"C-{worker}-{n}", "2026-07-01T10:00:00+08:00")
            answer = client.post("/v1/decisions", json=complaint)
            with lock:
                results.append((answer.status_code, answer.get_json()))
            n += 1

    threads = [threading.Thread(target=post, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for text in texts[1:] + texts[:1] + texts[1:]:
        _rewrite(policy, text)
        app.extensions["complaints"].policies.refresh(force=True)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    statuses = {status for status, _ in results}
    assert statuses == {201}, [r for r in results if r[0] != 201][:3]
    seen = set()
    for _, record in results:
        decision = record["decision"]
        version = decision["policy"]["version"]
        seen.add(version)
        # The decision is the one its named version gives: 250.00 needs a supervisor only under 200.00.
        expected = "supervisor" if versions[version] == "200.00" else "frontline"
        assert decision["route"]["level"] == expected, version
        assert record["policy"]["version"] == version
    assert len(seen) >= 2


def test_readiness_clears_once_the_file_loads_again(served):
    app, policy = served
    client = app.test_client()
    _rewrite(policy, DEFAULT_TEXT.replace("\nlevels:", "\nlevelz:", 1))
    assert client.get("/readyz").get_json()["checks"]["policy_reload"].startswith("failed at ")
    assert "complaints_policy_source_failing 1.0" in client.get("/metrics").get_data(as_text=True)
    _rewrite(policy, variant("2026.9", frontline_refund="300.00"))
    assert client.get("/readyz").get_json()["checks"]["policy_reload"] == "ok"
    metrics = client.get("/metrics").get_data(as_text=True)
    assert "complaints_policy_source_failing 0.0" in metrics
    assert "complaints_policy_reload_failures 1.0" in metrics  # the count since start stays


def _config(tmp_path, policy) -> dict:
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'reload.db'}",
        "COMPLAINTS_POLICY": str(policy),
        "COMPLAINTS_AUTH": "off",
        "COMPLAINTS_POLICY_POLL_SECONDS": 0,
    }


def test_a_restart_with_a_broken_file_boots_on_the_last_good_version(served, tmp_path):
    app, policy = served
    client = app.test_client()
    _rewrite(policy, variant("2026.9", frontline_refund="300.00"))
    good = client.get("/v1/policy").get_json()
    assert good["version"] == "2026.9"  # the reloaded version is remembered too, not only the first
    _rewrite(policy, DEFAULT_TEXT.replace("\nlevels:", "\nlevelz:", 1))

    restarted = create_app(_config(tmp_path, policy)).test_client()
    assert restarted.get("/v1/policy").get_json()["digest"] == good["digest"]
    check = restarted.get("/readyz").get_json()["checks"]["policy_reload"]
    assert "levelz: unknown key `levelz` [schema]" in check and "serving the last good version 2026.9" in check
    answer = restarted.post("/v1/decisions", json=refund_complaint("C-9", "2026-07-01T10:00:00+08:00"))
    assert answer.status_code == 201 and answer.get_json()["policy"]["digest"] == good["digest"]

    _rewrite(policy, DEFAULT_TEXT)
    assert restarted.get("/readyz").get_json()["checks"]["policy_reload"] == "ok"
    assert restarted.get("/v1/policy").get_json()["version"] == "2026.1"


def test_a_first_start_with_a_broken_file_refuses_in_one_line(tmp_path):
    policy = tmp_path / "policies.yaml"
    policy.write_text(DEFAULT_TEXT.replace("\nlevels:", "\nlevelz:", 1), encoding="utf-8")
    with pytest.raises(NoGoodPolicy, match="no good version of it was ever stored") as refused:
        create_app(_config(tmp_path, policy))
    assert "\n" not in str(refused.value)
    assert "levels: the required key `levels` is missing [schema]; and 1 more" in str(refused.value)


def test_a_tampered_last_good_version_is_not_served(served, tmp_path):
    app, policy = served
    store = app.extensions["complaints"].store
    with store.engine.begin() as conn:
        conn.execute(sql("UPDATE policies SET text = replace(text, 'frontline: 200.00', 'frontline: 900.00')"))
    _rewrite(policy, "levelz: []\n")
    with pytest.raises(NoGoodPolicy, match="no longer matches its digest"):
        create_app(_config(tmp_path, policy))
