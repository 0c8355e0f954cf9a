"""The production server as real processes: gunicorn, 2 workers, over a socket.

Also a crash test: SIGKILL the server mid-stream, restart it, and every
decision that was answered 201 must be in the store, intact.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from canonical import canonical_json
from store import DecisionStore
from tests.helpers.api_samples import make_complaint
from tests.helpers.server_process import REPO, Server


def create_key(db_url: str, role: str, workdir) -> str:
    """As an operator does before the first start (README, Production): create the store, then a key."""
    env = {"DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"}
    run = {"cwd": REPO, "env": env, "capture_output": True, "text": True, "check": True}
    subprocess.run([sys.executable, "-m", "cli.main", "store", "init"], **run)
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", "keys", "create", "--name", f"test {role}", "--role", role], **run
    )
    return result.stdout.strip()


@pytest.fixture
def production(tmp_path):
    """A production-mode server on SQLite with one decider key; yields (server, headers, db_url)."""
    db_url = f"sqlite:///{tmp_path / 'decisions.db'}"
    token = create_key(db_url, "decider", tmp_path)
    server = Server(tmp_path, {"DATABASE_URL": db_url, "COMPLAINTS_ENV": "production"})
    server.start()
    yield server, {"Authorization": f"Bearer {token}"}, db_url
    server.stop()


def post(base: str, body: dict, headers: dict, session=None) -> requests.Response:
    data = json.dumps(body, ensure_ascii=False).encode()
    return (session or requests).post(
        base + "/v1/decisions", data=data, headers={**headers, "Content-Type": "application/json"}, timeout=30
    )


def test_production_server_decides_like_the_engine(production, decider):
    server, headers, db_url = production

    # rulesets are compiled in the workers after fork, never in the master
    def maps(pid: int) -> str:
        with open(f"/proc/{pid}/maps") as file:
            return file.read()

    assert "durable_rules_engine" not in maps(server.process.pid)
    assert len(server.worker_pids()) == 2
    assert all("durable_rules_engine" in maps(pid) for pid in server.worker_pids())

    assert requests.post(server.base + "/v1/decisions", json=make_complaint(0), timeout=10).status_code == 401
    bodies = [make_complaint(i, "S") for i in range(120)]
    local = threading.local()

    def send(body):
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return body, post(server.base, body, headers, local.session)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(send, bodies + bodies[:40]))  # the last 40 are repeats
    created = [r for _, r in results if r.status_code == 201]
    assert len(created) == 120, {r.status_code for _, r in results}
    assert all(r.status_code in (200, 201) for _, r in results)
    for body, response in results:
        assert canonical_json(response.json()["decision"]) == canonical_json(decider.decide(body))
    by_complaint = {}
    for body, response in results:
        by_complaint.setdefault(body["complaint_id"], set()).add(response.json()["decision_id"])
    assert all(len(ids) == 1 for ids in by_complaint.values())

    # identical requests at once from several threads: one decision
    same = make_complaint(999, "SAME")
    with ThreadPoolExecutor(max_workers=8) as pool:
        racing = list(pool.map(lambda _: post(server.base, same, headers), range(8)))
    assert sorted(r.status_code for r in racing) == [200] * 7 + [201]
    assert len({r.json()["decision_id"] for r in racing}) == 1

    # /metrics adds up both workers (PROMETHEUS_MULTIPROC_DIR)
    text = requests.get(server.base + "/metrics", timeout=10).text
    total = sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "complaints_decisions_total"
    )
    assert total == 121

    store = DecisionStore(db_url)
    assert store.count() == 121
    assert store.verify_chain().ok
    store.dispose()


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_sigkill_mid_stream_loses_no_acknowledged_decision(tmp_path, request, database):
    """8 streams over 2 workers: appends share group commits; none answered 201 may be missing."""
    if database == "sqlite":
        db_url = f"sqlite:///{tmp_path / 'decisions.db'}"
    else:
        db_url = request.getfixturevalue("postgres").create_database()
    env = {"DATABASE_URL": db_url, "COMPLAINTS_AUTH": "off"}
    server = Server(tmp_path, env).start()
    acknowledged: dict[str, dict] = {}
    lock = threading.Lock()
    enough = threading.Event()
    stop = threading.Event()

    def stream(offset: int) -> None:
        session = requests.Session()
        i = offset
        while not stop.is_set():
            try:
                response = post(server.base, make_complaint(i, "K"), {}, session)
            except requests.RequestException:
                return  # the server is gone
            if response.status_code == 201:
                with lock:
                    acknowledged[response.json()["decision_id"]] = response.json()
                    if len(acknowledged) >= 150:
                        enough.set()
            i += 8

    threads = [threading.Thread(target=stream, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    try:
        assert enough.wait(60), server.log()
    finally:
        server.kill()  # mid-stream: requests are in flight (and never left running if the wait failed)
        stop.set()
    for t in threads:
        t.join(30)
    assert len(acknowledged) >= 150

    restarted = Server(tmp_path, env).start()
    try:
        for decision_id, answered in acknowledged.items():
            response = requests.get(f"{restarted.base}/v1/decisions/{decision_id}", timeout=10)
            assert response.status_code == 200, decision_id
            assert response.json() == answered
    finally:
        restarted.stop()
    store = DecisionStore(db_url)
    report = store.verify_chain()
    assert report.ok, report.problems
    assert report.count >= len(acknowledged)
    store.dispose()


def test_keys_off_refuses_a_public_bind(tmp_path):
    server = Server(tmp_path, {"DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}", "COMPLAINTS_AUTH": "off"})
    server.env["COMPLAINTS_BIND"] = f"0.0.0.0:{server.port}"
    with pytest.raises(RuntimeError, match="API keys are off"):
        server.start(timeout=20)


def test_production_without_keys_refuses_to_start(tmp_path):
    server = Server(tmp_path, {"DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}", "COMPLAINTS_ENV": "production"})
    with pytest.raises(RuntimeError, match="no active API key"):
        server.start(timeout=30)


def test_workers_of_a_real_server_sign_one_checkpoint_sequence(tmp_path):
    """Two gunicorn workers recording at once, each on the checkpoint schedule: one sequence of signed heads."""
    from audit.verify import verify_log
    from store.checkpoints import all_statements
    from store.signing import write_key_pair

    key = tmp_path / "signing.pem"
    signer = write_key_pair(key)
    db_url = f"sqlite:///{tmp_path / 'decisions.db'}"
    token = create_key(db_url, "decider", tmp_path)
    env = {
        "DATABASE_URL": db_url,
        "COMPLAINTS_ENV": "production",
        "COMPLAINTS_SIGNING_KEY_FILE": str(key),
        "COMPLAINTS_CHECKPOINT_EVERY": "10",
        "COMPLAINTS_CHECKPOINT_SECONDS": "1",
    }
    server = Server(tmp_path, env).start()
    try:
        headers = {"Authorization": f"Bearer {token}"}
        with ThreadPoolExecutor(max_workers=6) as pool:
            statuses = list(
                pool.map(lambda i: post(server.base, make_complaint(i, "K"), headers).status_code, range(45))
            )
        assert statuses.count(201) == 45
        store = DecisionStore(db_url)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and (not all_statements(store) or all_statements(store)[-1].seq != 45):
            time.sleep(0.2)
    finally:
        server.stop()
    statements = all_statements(store)
    assert statements[-1].seq == 45, [s.seq for s in statements]  # the time schedule signed the tail
    assert [s.number for s in statements] == list(range(1, len(statements) + 1))
    assert len({s.seq for s in statements}) == len(statements) and len(statements) >= 4
    report = verify_log(store, {signer.key_id: signer.public})
    assert report.ok and report.unsigned_after == 0, report.as_text()
    store.dispose()
