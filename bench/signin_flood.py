"""Decision latency while clients post wrong passwords to the console's sign-in (issue 24, item 1).

One gunicorn, started as in production (``gunicorn -c python:api.gunicorn_conf``) on a fresh SQLite
store with staff accounts. For ``--seconds`` a decider posts complaints one after another, first
alone (the baseline), then while ``--attackers`` clients post wrong passwords to
``/console/sign-in`` (each with its own sign-in form token). The attackers spread over source
addresses 127.0.0.2-127.0.0.254 and the accounts' names, so that neither the per-address throttle
nor the (username, address) lockout stops them: what is measured is the argon2 check itself, which
runs outside the store's write transaction and one at a time per worker.

    python -m bench.signin_flood --seconds 20 --attackers 4

prints one JSON object: the decision latency (p50, p95, max, ms) alone and under the flood, the
sign-in attempts answered and their statuses.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import re
import statistics
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.corpus import iter_complaints

ACCOUNTS = ("anna", "bert", "carl", "dora", "emil", "fay")
PASSWORD = "the right password, long enough"
_TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')


def prepare_store(database_url: str) -> None:
    """A new store holding the staff accounts (policy approvers, as the attack would aim at)."""
    from store import DecisionStore
    from store.staff import StaffStore

    store = DecisionStore(database_url)
    store.init_schema()
    staff = StaffStore(store)
    for name in ACCOUNTS:
        staff.create(name, name.title(), ["policy_approver"], PASSWORD, by="operator:bench")
    store.dispose()


def _request(
    port: int, method: str, path: str, body: bytes = b"", headers: dict | None = None, source: str = "127.0.0.1"
) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))
    try:
        conn.request(method, path, body=body or None, headers=headers or {})
        answer = conn.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        conn.close()


def wrong_password(port: int, username: str, source: str) -> int:
    """One sign-in with a wrong password from ``source``, with a form token the server issued; the status."""
    status, headers, page = _request(port, "GET", "/console/sign-in", source=source)
    token = _TOKEN.search(page.decode("utf-8"))
    cookie = headers.get("set-cookie", "").split(";", 1)[0]
    if status != 200 or token is None or not cookie:
        return status or 599
    form = urlencode({"username": username, "password": "not the password!", "csrf_token": token.group(1)})
    status, _, _ = _request(
        port,
        "POST",
        "/console/sign-in",
        form.encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
        source=source,
    )
    return status


def flood(port: int, attackers: int, stop: threading.Event, statuses: list[int]) -> list[threading.Thread]:
    """``attackers`` threads posting wrong passwords until ``stop``; each attempt's status in ``statuses``."""
    # Each (name, address) pair is tried once and each address at most len(ACCOUNTS) times: below the limits.
    pairs = itertools.cycle([(name, f"127.0.0.{host}") for host in range(2, 255) for name in ACCOUNTS])
    lock = threading.Lock()

    def attack() -> None:
        while not stop.is_set():
            with lock:
                name, source = next(pairs)
            statuses.append(wrong_password(port, name, source))

    threads = [threading.Thread(target=attack, daemon=True) for _ in range(attackers)]
    for thread in threads:
        thread.start()
    return threads


def decide_for(port: int, seconds: float, complaints) -> list[float]:
    """Post complaints one after another for ``seconds``; each 201's latency in ms."""
    latencies = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = json.dumps(next(complaints), ensure_ascii=False).encode()
        started = time.perf_counter()
        status, _, answer = _request(port, "POST", "/v1/decisions", body, {"Content-Type": "application/json"})
        if status != 201:
            raise RuntimeError(f"decision answered {status}: {answer[:300]!r}")
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def summary(latencies: list[float]) -> dict:
    ordered = sorted(latencies)
    return {
        "decisions": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
        "max_ms": round(ordered[-1], 1),
    }


def measure(port: int, seconds: float, attackers: int, tag: str = "flood") -> dict:
    """Decision latency alone, then under ``attackers`` wrong-password clients, ``seconds`` each."""
    complaints = (dict(c, complaint_id=f"{tag}-{i}") for i, c in enumerate(iter_complaints(10**6)))
    alone = summary(decide_for(port, seconds, complaints))
    stop, statuses = threading.Event(), []
    threads = flood(port, attackers, stop, statuses)
    try:
        under = summary(decide_for(port, seconds, complaints))
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    counts: dict[str, int] = {}
    for status in statuses:
        counts[str(status)] = counts.get(str(status), 0) + 1
    return {"alone": alone, "under_flood": under, "sign_in_attempts": len(statuses), "statuses": counts}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="per phase (alone, under the flood)")
    parser.add_argument("--attackers", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    from bench.http import Gunicorn

    with tempfile.TemporaryDirectory(prefix="signin-flood-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'decisions.db'}"
        prepare_store(url)
        server = Gunicorn(None, args.workers, args.threads, Path(tmp), database_url=url)
        try:
            server.wait_ready("/readyz", args.workers)
            report = measure(server.port, args.seconds, args.attackers)
        finally:
            server.stop()
    report.update(seconds=args.seconds, attackers=args.attackers, workers=args.workers, threads=args.threads)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
