"""HTTP under load through the production server: throughput at saturation, latency at 50 % and 80 %.

    python -m bench.http [--seconds 10] [--json out.json] [--targets echo,sqlite,postgresql]

For each target, one gunicorn is started exactly as in production
(``gunicorn -c python:api.gunicorn_conf``, gthread workers; ``--workers`` 2 and
``--threads`` 8 by default (as api/gunicorn_conf.py), passed as WEB_CONCURRENCY / GUNICORN_THREADS; worker recycling
off, GUNICORN_MAX_REQUESTS=0, unless ``--max-requests``: at the echo endpoint's rate the
production 20,000 would restart workers mid-phase) on
127.0.0.1 with COMPLAINTS_ENV=development and COMPLAINTS_AUTH=off (loopback only):

  echo        bench/echo_app.py: a bare Flask endpoint that echoes the JSON (the ceiling)
  sqlite      the service, decision store on a fresh SQLite file (WAL, synchronous=FULL)
  postgresql  the service, decision store on a throwaway PostgreSQL server started here
              (devtools/postgres_server.py, but with fsync on: durable commits, like SQLite)

Every request is ``POST /v1/decisions`` (``/echo`` for the ceiling) with a distinct body:
complaints of the seeded corpus (bench/corpus.py), each sent with a complaint_id made unique
by a per-request prefix, so every request is a real new decision (201), never an idempotent
replay. The load generator runs in separate processes (``--clients``, default 2), each with
threads holding one keep-alive connection each and pre-encoded bodies (raw sockets, so the
client costs as little CPU as possible; it still shares the 2 cores with the server, and its
CPU time is reported).

Phases per target, each bounded by ``--seconds``: a 2 s warm-up (discarded); saturation
(closed loop, ``--connections`` in flight, requests/s = 2xx answers / seconds); then open-loop
constant rate at 50 % and 80 % of that throughput: request k is due at start + k/rate, a free
connection sends it at that moment, and its latency is measured from the moment it was due
(so time spent waiting for a free connection counts: no coordinated omission).

Events (service targets, after the 80 % phase): ``--event-pool`` complaints per client are
decided by batches, then ``POST /v1/complaints/{id}/events`` runs at saturation (closed loop, as
``POST /v1/decisions`` did): each request a ``customer_replied`` on the next complaint of the
client's pool, dated by the wall clock (shifted ahead of the corpus), so every request records a
new event and a decision re-made on it (201). Compare its requests/s and latency with the saturation phase's.

Where the time goes: the app's own histograms (/metrics) give, per phase, the mean time in
``DecisionService.submit`` (validate + decide + store) and in the Flask request (between
before_request and after_request); in-process, the same complaints are decided and stored
one by one to split submit into engine (validate, digest, decide) and store (append).

``--profile DIR`` also runs py-spy (``pip install py-spy``; in the bench extra) on every
worker during the SQLite saturation phase and writes collapsed stacks plus a summary.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import itertools
import json
import multiprocessing as mp
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

from bench.corpus import DEFAULT_SEED, generate
from bench.prepare import emit, machine, percentiles

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ("echo", "sqlite", "postgresql")
WARMUP_S = 2.0


# -- servers ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class Gunicorn:
    """``gunicorn -c python:api.gunicorn_conf [APP]`` on a free loopback port, as a child process."""

    def __init__(
        self,
        app: str | None,
        workers: int,
        threads: int,
        logdir: Path,
        database_url: str | None = None,
        max_requests: int = 0,
    ):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.app = app
        self.log_path = logdir / f"gunicorn-{self.port}.log"
        env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
        env.update(
            COMPLAINTS_ENV="development",
            COMPLAINTS_AUTH="off",
            COMPLAINTS_BIND=f"127.0.0.1:{self.port}",
            WEB_CONCURRENCY=str(workers),
            GUNICORN_THREADS=str(threads),
            GUNICORN_MAX_REQUESTS=str(max_requests),
            PYTHONPATH=str(ROOT),
            # the events phase dates its events ahead of the wall clock (EVENT_SHIFT_S): let them in
            COMPLAINTS_EVENT_MAX_SKEW_SECONDS=str(EVENT_SHIFT_S + 86_400),
        )
        if database_url:
            env["DATABASE_URL"] = database_url
        command = [sys.executable, "-m", "gunicorn", "-c", "python:api.gunicorn_conf"]
        if app:
            command.append(app)
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, path: str, workers: int, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}); see {self.log_path}")
            try:
                status, _ = _get(self.base + path)
            except OSError:
                status = 0
            if status == 200 and len(self.worker_pids()) >= workers:
                # every worker compiles the policy itself: ask a few times so both answered
                if all(_get(self.base + path)[0] == 200 for _ in range(4 * workers)):
                    return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn not ready after {timeout:.0f} s; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                pids.append(int(stat.parent.name))
        return pids

    def cpu_seconds(self) -> float:
        """CPU time (user + system) of the master and its live workers so far."""
        total = 0.0
        for pid in [self.process.pid, *self.worker_pids()]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


def start_postgres(root: Path):
    """A throwaway PostgreSQL server (devtools/postgres_server.py), with fsync on; returns (server, url)."""
    sys.path.insert(0, str(ROOT))
    from devtools.postgres_server import PostgresServer, pg_bin

    class DurablePostgres(PostgresServer):
        def start(self) -> None:
            options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=100"
            self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "30", "start")

    bindir = pg_bin()
    if bindir is None or not (bindir / "pg_ctl").exists():
        raise RuntimeError("PostgreSQL binaries not found (apt-get install -y postgresql, or set PG_BIN)")
    server = DurablePostgres(bindir)
    try:
        server.init()
        server.start()
        url = server.create_database()
    except Exception:
        server.cleanup()
        raise
    return server, url


# -- load generator (separate processes) --------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection on a raw socket (the client must stay cheap)."""

    def __init__(self, port: int):
        self.port = port
        self.sock: socket.socket | None = None
        self.reconnects = -1

    def _connect(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reconnects += 1

    def request(self, data: bytes) -> int:
        for attempt in (1, 2):
            if self.sock is None:
                self._connect()
            try:
                self.sock.sendall(data)
                return self._read()
            except (TimeoutError, ConnectionError, EOFError):
                self.sock.close()
                self.sock = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _read(self) -> int:
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            buf += chunk
        head, _, body = buf.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, close = None, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        if length is None:
            raise EOFError("no Content-Length in the answer")
        while len(body) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed mid-body")
            body += chunk
        if close:
            self.sock.close()
            self.sock = None
        return status


EVENTS_PATH = "/v1/complaints/{id}/events"
EVENT_SHIFT_S = 10_000_000  # events are dated ~4 months ahead of the wall clock: after every corpus complaint


def _event_request(port: int, path: str, tag: str, k: int, pool: int) -> bytes:
    """Request ``k`` of an events phase: a customer reply on complaint ``{tag}-{k % pool}``, dated by the
    wall clock (shifted ahead), so every request records a new event (201), in order on its complaint."""
    at = dt.datetime.fromtimestamp(time.time() + EVENT_SHIFT_S, dt.UTC).isoformat(timespec="microseconds")
    body = json.dumps({"type": "customer_replied", "at": at}).encode()
    head = f"POST {path.replace('{id}', f'{tag}-{k % pool}')} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    return (head + f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


def seed_event_complaints(base: str, bodies: list[str], tag: str, clients: int) -> int:
    """Decide the complaints an events phase reports on: each client's pool, ``{tag}c{n}-{i}``, by batches."""
    count = 0
    for client in range(clients):
        mine = bodies[client::clients]
        for start in range(0, len(mine), 500):
            items = []
            for i, text in enumerate(mine[start : start + 500], start=start):
                complaint = json.loads(text)
                complaint["complaint_id"] = f"{tag}c{client}-{i}"
                items.append(complaint)
            request = urllib.request.Request(
                base + "/v1/decisions/batch",
                data=json.dumps({"complaints": items}, ensure_ascii=False).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=300) as answer:
                count += json.loads(answer.read())["summary"]["created"]
    return count


def _templates(bodies: list[str], port: int, path: str) -> list[tuple[bytes, bytes, bytes]]:
    """(request head up to Content-Length, body before the complaint_id value, rest of the body)."""
    out = []
    for text in bodies:
        at = text.index('"complaint_id": "') + len('"complaint_id": "')
        out.append(
            (
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n".encode(),
                text[:at].encode(),
                text[at:].encode(),
            )
        )
    return out


def _client(port, path, bodies, tag, mode, rate, threads, start_at, seconds, results):
    """One load-generator process: ``threads`` connections; closed loop or open loop at ``rate``/s."""
    templates = _templates(bodies, port, path)
    counter = itertools.count()
    end_at = start_at + seconds
    latencies: list[int] = []
    statuses: collections.Counter = collections.Counter()
    late = [0]
    errors: list[str] = []
    conns = [Connection(port) for _ in range(threads)]

    def make(k: int) -> bytes:
        if "{id}" in path:  # events: one per pre-decided complaint, a later one on each lap of the pool
            return _event_request(port, path, tag, k, len(bodies))
        head, before, after = templates[k % len(templates)]
        body = before + f"{tag}-{k}-".encode() + after
        return head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body

    def closed(conn: Connection) -> None:
        while True:
            k = next(counter)
            data = make(k)
            sent = time.time()
            if sent >= end_at:
                return
            try:
                status = conn.request(data)
            except OSError as exc:
                errors.append(repr(exc))
                return
            done = time.time()
            if done <= end_at:
                statuses[status] += 1
                latencies.append(int((done - sent) * 1e9))

    def opened(conn: Connection) -> None:
        while True:
            k = next(counter)
            due = start_at + k / rate
            if due >= end_at:
                return
            data = make(k)
            now = time.time()
            if due > now:
                time.sleep(due - now)
            elif now - due > 0.001:
                late[0] += 1
            try:
                status = conn.request(data)
            except OSError as exc:
                errors.append(repr(exc))
                return
            statuses[status] += 1
            latencies.append(int((time.time() - due) * 1e9))

    cpu0 = time.process_time()
    if start_at > time.time():
        time.sleep(start_at - time.time())
    workers = [threading.Thread(target=closed if mode == "closed" else opened, args=(c,)) for c in conns]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    finished = time.time()
    results.put(
        {
            "latencies": latencies,
            "statuses": dict(statuses),
            "late": late[0],
            "errors": errors[:5],
            "error_count": len(errors),
            "reconnects": sum(max(c.reconnects, 0) for c in conns),
            "sent": sum(statuses.values()),
            "finished": finished,
            "cpu_s": time.process_time() - cpu0,
        }
    )


def run_load(port, path, bodies, tag, mode, rate, connections, clients, seconds) -> dict:
    """Run one phase in ``clients`` processes; returns requests/s, latency percentiles, statuses."""
    ctx = mp.get_context("fork")
    results = ctx.Queue()
    per_client = max(1, connections // clients)
    start_at = time.time() + 0.5
    procs = [
        ctx.Process(
            target=_client,
            args=(
                port,
                path,
                bodies[k::clients],
                f"{tag}c{k}",
                mode,
                rate / clients,
                per_client,
                start_at,
                seconds,
                results,
            ),
            daemon=True,
        )
        for k in range(clients)
    ]
    for proc in procs:
        proc.start()
    rows = [results.get(timeout=seconds + 120) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    latencies = [lat for row in rows for lat in row["latencies"]]
    statuses: collections.Counter = collections.Counter()
    for row in rows:
        statuses.update(row["statuses"])
    ok = sum(n for status, n in statuses.items() if 200 <= int(status) < 300)
    wall = (max(row["finished"] for row in rows) - start_at) if mode == "open" else seconds
    out = {
        "mode": mode,
        "seconds": seconds,
        "connections": per_client * clients,
        "target_rate": round(rate, 1) if mode == "open" else None,
        "requests": sum(statuses.values()),
        "ok": ok,
        "per_s": round(ok / wall, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "late_sends": sum(row["late"] for row in rows),
        "errors": sum(row["error_count"] for row in rows),
        "error_samples": [e for row in rows for e in row["errors"]][:3],
        "reconnects": sum(row["reconnects"] for row in rows),
        "client_cpu_s": round(sum(row["cpu_s"] for row in rows), 2),
    }
    if latencies:
        out.update({k: round(v, 3) for k, v in percentiles(latencies).items()})
        out["mean_ms"] = round(sum(latencies) / len(latencies) / 1e6, 3)
    return out


# -- the app's own histograms ---------------------------------------------------

_SAMPLE = re.compile(r"^(\w+)(\{[^}]*\})? ([0-9.eE+-]+)$")


def app_timings(base: str) -> dict:
    """Sum and count of complaints_decision_seconds and of the POST /v1/decisions 201 request histogram."""
    status, text = _get(base + "/metrics", timeout=10)
    out = {
        "decision_sum": 0.0,
        "decision_count": 0.0,
        "http_sum": 0.0,
        "http_count": 0.0,
        "batch_sum": 0.0,
        "batch_count": 0.0,
    }
    if status != 200:
        return out
    for line in text.decode().splitlines():
        match = _SAMPLE.match(line)
        if not match:
            continue
        name, labels, value = match.group(1), match.group(2) or "", float(match.group(3))
        if name == "complaints_decision_seconds_sum":
            out["decision_sum"] += value
        elif name == "complaints_decision_seconds_count":
            out["decision_count"] += value
        elif name == "complaints_store_batch_appends_sum":
            out["batch_sum"] += value
        elif name == "complaints_store_batch_appends_count":
            out["batch_count"] += value
        elif (
            name.startswith("complaints_http_request_seconds_")
            and 'route="/v1/decisions"' in labels
            and 'method="POST"' in labels
            and 'status="201"' in labels
        ):
            if name.endswith("_sum"):
                out["http_sum"] += value
            elif name.endswith("_count"):
                out["http_count"] += value
    return out


def _means(before: dict, after: dict) -> dict:
    def mean(key: str) -> float | None:
        count = after[f"{key}_count"] - before[f"{key}_count"]
        return round((after[f"{key}_sum"] - before[f"{key}_sum"]) / count * 1000, 3) if count else None

    batches = after["batch_count"] - before["batch_count"]
    return {
        "app_submit_mean_ms": mean("decision"),
        "app_request_mean_ms": mean("http"),
        "appends_per_transaction": round((after["batch_sum"] - before["batch_sum"]) / batches, 2) if batches else None,
    }


# -- in-process split: engine vs store --------------------------------------------


def in_process_split(database_url: str, bodies: list[str], n: int) -> dict:
    """Decide and store ``n`` complaints one by one, as DecisionService.submit does (its
    ``record_decision``: the decision with its work-queue rows), timing each part.

    One thread: every append is a batch of one here; what group commit saves under load is in the
    HTTP phases (and the batches per transaction the server reports in its log)."""
    from decimal import Decimal

    from bench.prepare import load_decider
    from engine.complaint import validate_complaint
    from lifecycle.decision_service import record_decision, request_digest
    from store import DecisionStore

    decider = load_decider()
    store = DecisionStore(database_url)
    store.init_schema()
    store.store_policy(decider.policy)
    parse = validate = decide = append = 0
    done = 0
    for k, text in enumerate(itertools.islice(itertools.cycle(bodies), n)):
        text = text.replace('"complaint_id": "', f'"complaint_id": "split{k}-', 1)
        t0 = time.perf_counter_ns()
        raw = json.loads(text, parse_float=Decimal)
        t1 = time.perf_counter_ns()
        complaint = validate_complaint(raw, decider.policy.levels)
        digest = request_digest(raw)
        t3 = time.perf_counter_ns()
        decision = decider.decide_valid(complaint)
        t4 = time.perf_counter_ns()
        # The service's own append: the work-queue rows, refused if the complaint had events.
        _, created = record_decision(store, decider, complaint, text, digest, decision, without_events=True)
        t5 = time.perf_counter_ns()
        assert created
        if k >= 50:  # the first few warm the caches and the connection
            parse += t1 - t0
            validate += t3 - t1
            decide += t4 - t3
            append += t5 - t4
            done += 1
    store.dispose()

    def us(total: int) -> float:
        return round(total / done / 1000, 1)

    engine = us(validate + decide)
    store_us = us(append)
    return {
        "n": done,
        "json_parse_us": us(parse),
        "validate_and_digest_us": us(validate),
        "decide_valid_us": us(decide),
        "store_append_us": us(append),
        "engine_us": engine,
        "store_us": store_us,
        "submit_us": round(engine + store_us, 1),
    }


# -- profile ----------------------------------------------------------------------

PROFILE_BUCKETS = (
    ("validation (marshmallow)", ("marshmallow",)),
    ("store: SQLAlchemy", ("sqlalchemy",)),
    ("store: sqlite3/psycopg driver", ("sqlite3", "psycopg")),
    (
        "engine: durable_rules + decide",
        (
            "engine/decider",
            "engine/runtime",
            "durable",
            "engine/deadlines",
            "engine/facts",
            "engine/explain",
            "engine/remedy",
            "engine/route",
            "rules/calendar",
        ),
    ),
    ("store: hash chain + canonical JSON", ("store/chain", "canonical/")),
    ("access log (logging)", ("logging/", "api/logs")),
    ("metrics (prometheus_client)", ("prometheus_client",)),
    ("flask-smorest / marshmallow response", ("flask_smorest", "apispec")),
    ("flask + werkzeug", ("flask/", "werkzeug")),
    ("gunicorn (accept, parse, write)", ("gunicorn",)),
)


def summarize_profile(collapsed: list[Path]) -> dict:
    """Inclusive share of samples whose stack passes through each bucket (first match from the leaf up)."""
    total = 0
    buckets: collections.Counter = collections.Counter()
    idle = 0
    for path in collapsed:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            n = int(count)
            total += n
            frames = stack.split(";")
            if any(
                f.startswith(("wait (threading", "select (selectors", "_sleep", "sleep (gunicorn"))
                or "poll (" in f
                or "select (" in f
                for f in frames[-2:]
            ):
                idle += n
                continue
            found = "other"
            for frame in reversed(frames):
                hit = next((name for name, keys in PROFILE_BUCKETS if any(k in frame for k in keys)), None)
                if hit:
                    found = hit
                    break
            buckets[found] += n
    busy = total - idle
    return {
        "samples": total,
        "idle_share": round(idle / total, 3) if total else None,
        "busy_shares": {name: round(n / busy, 3) for name, n in buckets.most_common()} if busy else {},
    }


def profile_workers(server: Gunicorn, seconds: float, outdir: Path) -> list[subprocess.Popen]:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    procs = []
    for pid in server.worker_pids():
        out = outdir / f"worker-{pid}.txt"
        procs.append(
            subprocess.Popen(
                [
                    py_spy,
                    "record",
                    "--pid",
                    str(pid),
                    "--duration",
                    str(int(seconds)),
                    "--rate",
                    "200",
                    "--format",
                    "raw",
                    "--output",
                    str(out),
                    "--nonblocking",
                    "--idle",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        )
    return procs


# -- the run ------------------------------------------------------------------------


def disk_commit_ms(directory: Path, commits: int = 40) -> dict:
    """Median and p90 of a bare durable SQLite commit (WAL, synchronous=FULL, one 4 KB row) here, now.

    The disk is shared with whatever else runs: this says how slow an fsync was during the run."""
    import sqlite3
    import statistics

    path = directory / f"fsync-probe-{uuid.uuid4().hex}.db"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE t (x TEXT)")
        times = []
        for _ in range(commits):
            t0 = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t VALUES (?)", ("x" * 4096,))
            conn.execute("COMMIT")
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    times.sort()
    return {"median": round(statistics.median(times), 2), "p90": round(times[int(len(times) * 0.9)], 2)}


def bench_target(name, args, bodies, workdir, profile_dir) -> dict:
    pg = None
    database_url = None
    if name == "echo":
        app, path, ready = "bench.echo_app:create_app()", "/echo", "/healthz"
    else:
        app, path, ready = None, "/v1/decisions", "/readyz"
        if name == "sqlite":
            database_url = f"sqlite:///{workdir / 'bench-http.db'}"
        else:
            pg, database_url = start_postgres(workdir)
    server = Gunicorn(app, args.workers, args.threads, workdir, database_url, args.max_requests)
    report: dict = {
        "target": name,
        "path": path,
        "workers": args.workers,
        "threads": args.threads,
        "max_requests": args.max_requests,
    }
    try:
        server.wait_ready(ready, args.workers)
        report["disk_commit_ms_before"] = disk_commit_ms(workdir)
        report["worker_pids"] = server.worker_pids()
        common = dict(connections=args.connections, clients=args.clients)
        acknowledged = 0  # decisions answered 201 (each a new one): every one must be in the store afterwards

        def answered(row: dict) -> dict:
            nonlocal acknowledged
            acknowledged += row["statuses"].get("201", 0)
            return row

        answered(run_load(server.port, path, bodies, "warm", "closed", 0, seconds=WARMUP_S, **common))
        phases = [("saturation", "closed", None)]
        for label, share in (("50%", 0.5), ("80%", 0.8)):
            phases.append((label, "open", share))
        saturation = None
        for label, mode, share in phases:
            rate = (saturation * share) if share else 0
            before = app_timings(server.base) if name != "echo" else None
            cpu0 = server.cpu_seconds()
            spies = []
            if profile_dir and name == "sqlite" and label == "saturation":
                spies = profile_workers(server, args.seconds, profile_dir)
            row = answered(
                run_load(
                    server.port,
                    path,
                    bodies,
                    label.rstrip("%"),
                    mode,
                    rate,
                    seconds=args.seconds,
                    **(common if mode == "closed" else dict(connections=args.open_connections, clients=args.clients)),
                )
            )
            for spy in spies:
                _, err = spy.communicate(timeout=60)
                if spy.returncode:
                    row["profile_error"] = err.decode(errors="replace")[-300:]
            row["server_cpu_s"] = round(server.cpu_seconds() - cpu0, 2)
            if before is not None:
                row.update(_means(before, app_timings(server.base)))
            if label == "saturation":
                saturation = row["per_s"]
            report[label] = row
            print(
                f"  {name:<10} {label:<10} {row['per_s']:>8,.1f}/s  p50 {row.get('p50_ms', 0):7.2f} ms  "
                f"p99 {row.get('p99_ms', 0):8.2f} ms  statuses {row['statuses']}",
                file=sys.stderr,
            )
        if name != "echo" and args.event_pool:
            pool = bodies[: args.event_pool * args.clients]
            seeded = seed_event_complaints(server.base, pool, "ev", args.clients)
            acknowledged += seeded
            answered(run_load(server.port, EVENTS_PATH, pool, "ev", "closed", 0, seconds=WARMUP_S, **common))
            before = app_timings(server.base)
            cpu0 = server.cpu_seconds()
            row = answered(run_load(server.port, EVENTS_PATH, pool, "ev", "closed", 0, seconds=args.seconds, **common))
            row["server_cpu_s"] = round(server.cpu_seconds() - cpu0, 2)
            row.update(_means(before, app_timings(server.base)))
            row["complaints_seeded"] = seeded
            report["events"] = row
            print(
                f"  {name:<10} {'events':<10} {row['per_s']:>8,.1f}/s  p50 {row.get('p50_ms', 0):7.2f} ms  "
                f"p99 {row.get('p99_ms', 0):8.2f} ms  statuses {row['statuses']}",
                file=sys.stderr,
            )
        report["disk_commit_ms_after"] = disk_commit_ms(workdir)
        if name != "echo":
            report["stored_decisions"] = _stored_count(database_url)
            report["acknowledged_decisions"] = acknowledged
            # Every 201 was a new decision; a request that failed after its COMMIT may be stored unanswered.
            report["acknowledged_lost"] = max(0, acknowledged - report["stored_decisions"])
    finally:
        server.stop()
        if pg is not None:
            if args.split > 0:
                report["in_process"] = in_process_split(pg.create_database(), bodies, args.split)
            pg.cleanup()
    if name == "sqlite" and args.split > 0:
        report["in_process"] = in_process_split(f"sqlite:///{workdir / 'split.db'}", bodies, args.split)
    return report


def _stored_count(database_url: str) -> int:
    from store import DecisionStore

    store = DecisionStore(database_url)
    try:
        return store.count()
    finally:
        store.dispose()


def run(args) -> dict:
    bodies = [json.dumps(c, ensure_ascii=False) for c in generate(args.corpus, args.seed)]
    report: dict = {
        "machine": machine(),
        "command": "python -m bench.http " + " ".join(sys.argv[1:]),
        "seconds": args.seconds,
        "targets": {},
    }
    workdir = Path(tempfile.mkdtemp(prefix="bench-http-"))
    profile_dir = Path(args.profile) if args.profile else None
    if profile_dir:
        profile_dir.mkdir(parents=True, exist_ok=True)
    try:
        for name in args.targets:
            report["targets"][name] = bench_target(name, args, bodies, workdir, profile_dir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if profile_dir:
        report["profile"] = summarize_profile(sorted(profile_dir.glob("worker-*.txt")))
    report["ratios"], report["targets_met"] = _verdicts(report["targets"])
    return report


def _verdicts(targets: dict) -> tuple[dict, dict]:
    ratios, met = {}, {}
    echo = targets.get("echo", {}).get("saturation", {}).get("per_s")
    for name in ("sqlite", "postgresql"):
        row = targets.get(name)
        if not row:
            continue
        if echo:
            ratios[f"{name} / echo ceiling"] = round(row["saturation"]["per_s"] / echo, 3)
        if name == "sqlite":
            if echo:
                met["sqlite >= 0.3 x bare-Flask ceiling req/s"] = ratios["sqlite / echo ceiling"] >= 0.3
            met["sqlite p99 < 25 ms at 50 % load"] = row["50%"].get("p99_ms", float("inf")) < 25
            met["sqlite p99 < 25 ms at 80 % load"] = row["80%"].get("p99_ms", float("inf")) < 25
        elif echo:
            met["postgresql >= 0.25 x bare-Flask ceiling req/s"] = ratios["postgresql / echo ceiling"] >= 0.25
    return ratios, met


def table(report: dict) -> str:
    lines = [
        f"machine: {report['machine']['nproc']} x {report['machine']['cpu']}, Python {report['machine']['python']}, "
        f"commit {report['machine']['commit']}; {report['seconds']} s per phase",
        "",
        "| target | phase | target req/s | req/s (2xx) | p50 ms | p99 ms | p99.9 ms | max ms | statuses "
        "| server CPU s | client CPU s | app submit ms | app request ms | appends per transaction |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for name, row in report["targets"].items():
        for phase in ("saturation", "50%", "80%", "events"):
            r = row.get(phase)
            if not r:
                continue
            lines.append(
                f"| {name} | {phase} | {r['target_rate'] or '-'} | {r['per_s']:,.1f} | {r.get('p50_ms', 0):.2f} "
                f"| {r.get('p99_ms', 0):.2f} | {r.get('p999_ms', 0):.2f} | {r.get('max_ms', 0):.2f} "
                f"| {r['statuses']} | {r['server_cpu_s']} | {r['client_cpu_s']} "
                f"| {r.get('app_submit_mean_ms') or '-'} | {r.get('app_request_mean_ms') or '-'} "
                f"| {r.get('appends_per_transaction') or '-'} |"
            )
    lines.append("")
    for name, row in report["targets"].items():
        if "disk_commit_ms_before" in row:
            lines.append(
                f"- {name}: a bare durable SQLite commit on this disk took {row['disk_commit_ms_before']} ms "
                f"before the phases, {row.get('disk_commit_ms_after')} ms after (median, p90)"
            )
        if "stored_decisions" in row:
            lines.append(
                f"- {name}: {row['acknowledged_decisions']:,} decisions answered 201, {row['stored_decisions']:,} "
                f"in the store afterwards: {row['acknowledged_lost']} acknowledged decisions lost"
            )
        split = row.get("in_process")
        if split:
            lines.append(
                f"- {name} in-process (1 thread, n={split['n']}): engine {split['engine_us']} µs "
                f"(validate+digest {split['validate_and_digest_us']}, decide {split['decide_valid_us']}), "
                f"store {split['store_us']} µs (append {split['store_append_us']}; no look-up before deciding), "
                f"JSON parse {split['json_parse_us']} µs"
            )
    lines.extend(f"- {name}: {value}x" for name, value in report["ratios"].items())
    lines.extend(f"- target {name}: {'MET' if ok else 'NOT MET'}" for name, ok in report["targets_met"].items())
    if report.get("profile"):
        lines.append(f"- profile (SQLite saturation, all workers): {report['profile']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="HTTP throughput and latency through gunicorn, with the store on")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each measured phase")
    parser.add_argument("--json", help="write the report here")
    parser.add_argument("--targets", default=",".join(TARGETS), help="comma-separated: echo,sqlite,postgresql")
    parser.add_argument("--workers", type=int, default=2, help="WEB_CONCURRENCY")
    parser.add_argument("--threads", type=int, default=8, help="GUNICORN_THREADS (gunicorn.conf.py's default)")
    parser.add_argument(
        "--max-requests",
        type=int,
        default=0,
        help="GUNICORN_MAX_REQUESTS; 0 (default): no worker recycling during the run",
    )
    parser.add_argument("--connections", type=int, default=16, help="in flight during saturation")
    parser.add_argument("--open-connections", type=int, default=16, help="connections for the constant-rate phases")
    parser.add_argument("--clients", type=int, default=2, help="load-generator processes")
    parser.add_argument("--corpus", type=int, default=20_000, help="distinct corpus complaints (ids made unique)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--split", type=int, default=2000, help="complaints for the in-process engine/store split")
    parser.add_argument("--profile", help="directory: py-spy every worker during the SQLite saturation phase")
    parser.add_argument(
        "--event-pool",
        type=int,
        default=1500,
        help="complaints per client decided before the events phase (POST /v1/complaints/{id}/events "
        "at saturation, one event on the next complaint each request); 0: no events phase",
    )
    args = parser.parse_args(argv)
    args.targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = set(args.targets) - set(TARGETS)
    if unknown:
        parser.error(f"unknown targets {sorted(unknown)}; expected {', '.join(TARGETS)}")
    report = run(args)
    return emit(report, table, args.json)


if __name__ == "__main__":
    sys.exit(main())
