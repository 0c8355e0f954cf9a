"""Production serving: ``gunicorn -c python:api.gunicorn_conf`` (or ``complaints serve``).

Each worker imports ``app`` and calls ``create_app()`` itself, after fork
(``preload_app = False``): the durable_rules rulesets are compiled in every
worker and never in the master (docs/durable_rules.md). The master only
reads this file, checks the configuration (and that the policy, or its stored last good
version, can be served) and tidies the metrics directory.

Environment (see also api/settings.py): COMPLAINTS_BIND (default
127.0.0.1:8080; e.g. 0.0.0.0:8080 behind a load balancer), WEB_CONCURRENCY
(workers, default 2 x CPUs), GUNICORN_THREADS (threads per worker, default 8),
GUNICORN_MAX_REQUESTS (recycle a worker after so many requests, default 20000),
FORWARDED_ALLOW_IPS, COMPLAINTS_CLIENT_READ_TIMEOUT_SECONDS (time a client has to send
one request, headers and body, default 10), PROMETHEUS_MULTIPROC_DIR (default: a fresh temp dir).
"""

from __future__ import annotations

import errno
import gc
import ipaddress
import os
import secrets
import shutil
import socket
import tempfile
from pathlib import Path

from api.settings import NO_ACTIVE_KEY, ConfigError, load_settings

bind = [part.strip() for part in os.environ.get("COMPLAINTS_BIND", "127.0.0.1:8080").split(",") if part.strip()]
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1))))
# gthread, with a read deadline per request (COMPLAINTS_CLIENT_READ_TIMEOUT_SECONDS): slow clients cannot
# pin every thread. The engine is thread-safe (engine/runtime.py); threads share one compiled policy.
worker_class = "api.slow_clients.SlowClientWorker"
# Threads waiting for a commit are idle and join the next one (group commit, store/group_commit.py):
# 8 gave ~1.5x the requests/s of 4 at saturation on SQLite and PostgreSQL (BENCHMARKS.md, issue 17).
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
wsgi_app = "app:create_app_or_exit()"  # a worker that cannot start logs one line, exits 3
preload_app = False  # never compile rulesets in the master
timeout = 30
graceful_timeout = 30
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
accesslog = None  # the app writes its own JSON access lines (api/logs.py)
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "complaint-decisions"
control_socket_disable = True  # one fixed path per user: several instances on one host would clash

# Prometheus multi-process mode: set before any worker imports prometheus_client.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="complaints-metrics-")


def _loopback(address: str) -> bool:
    if address.startswith(("unix:", "fd://")):
        return True
    host = address.rsplit(":", 1)[0].strip("[]") if ":" in address else address
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def on_starting(server):
    """In the master, before forking: refuse unsafe configurations, empty the metrics directory."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        raise SystemExit(f"refusing to start: {exc}") from None
    from api.slow_clients import read_timeout_seconds

    try:
        read_timeout_seconds()
    except ValueError as exc:  # checked here once, not by every worker as it boots
        raise SystemExit(f"refusing to start: {exc}") from None
    if settings.auth_mode == "off":
        exposed = [address for address in server.cfg.bind if not _loopback(address)]
        if exposed:
            raise SystemExit(
                f"refusing to start: API keys are off, so bind only to 127.0.0.1, not {', '.join(exposed)}"
            )
        server.log.warning("API KEYS ARE OFF (development only); serving on loopback only")
    taken = _addresses_in_use(server.cfg.bind)
    if taken:
        raise SystemExit(
            f"refusing to start: {', '.join(taken)} already in use (another server?): "
            "choose another address with COMPLAINTS_BIND"
        )
    server.log.info(settings.policy.describe())
    refusal = _unservable(settings)
    if refusal:
        raise SystemExit(f"refusing to start: {refusal}")
    # The console signs its sign-in form's token with this; made here, every worker of this master shares it.
    os.environ.setdefault("COMPLAINTS_CONSOLE_SECRET", secrets.token_urlsafe(32))
    metrics_dir = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    metrics_dir.mkdir(parents=True, exist_ok=True)
    for stale in metrics_dir.glob("*.db"):
        stale.unlink()


def _addresses_in_use(addresses) -> list[str]:
    """TCP addresses another process listens on: checked before gunicorn binds, which would retry for
    five seconds and then stop with several lines."""
    taken = []
    for address in addresses:
        if address.startswith(("unix:", "fd://")):
            continue
        host, _, port = address.rpartition(":")
        host = host.strip("[]") or "0.0.0.0"
        try:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            with socket.socket(family, socket.SOCK_STREAM) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
                probe.bind((host, int(port)))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                taken.append(address)
        except ValueError:
            continue  # not host:port; gunicorn reports it
    return taken


def _unservable(settings) -> str | None:
    """Why no worker could boot: a store that needs `complaints store upgrade`, production without an
    active API key, or a policy file that does not load with no good version of it stored.

    Checked once here, in the master, so that the refusal is one line: when every worker fails to
    boot at once, gunicorn's master halts with a traceback of its own. Only the policy language is
    loaded (rules/), never the engine; the workers still fall back on the stored version themselves.
    Nothing is created here: an empty database is set up by the first worker.
    """
    from rules.errors import PolicyError
    from rules.loader import load_policy_file
    from store import DecisionStore, StoreUnavailable
    from store.db import display_url

    try:
        store = DecisionStore(settings.database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    except ValueError as exc:
        return f"DATABASE_URL {display_url(settings.database_url)}: {exc}"
    try:
        try:
            state = store.schema_state()
        except StoreUnavailable:
            return None  # the workers start, say so, and answer 503 until the store is back
        if not state.empty and not state.ready:
            return state.problem(display_url(settings.database_url))
        if settings.env == "production" and settings.auth_mode == "keys":
            # Before any worker opens the store (which adopts the policy as its baseline): nothing written.
            if state.empty or store.active_key_count() == 0:
                return NO_ACTIVE_KEY
        try:
            load_policy_file(settings.policy_path)
            return None
        except PolicyError as error:
            first = str(error.issues[0]) if error.issues else str(error)
            more = f"; and {len(error.issues) - 1} more" if len(error.issues) > 1 else ""
            problem = first + more
        if state.ready and store.policy_for_source(os.path.abspath(settings.policy_path)) is not None:
            return None  # the workers boot on it and report the broken file
    except StoreUnavailable:
        return None
    finally:
        store.dispose()
    return (
        f"{settings.policy_path} does not load ({problem}) and no good version of it was ever stored; "
        f"fix the file (complaints check {settings.policy_path})"
    )


def post_fork(server, worker):
    server.log.info("worker %s forked; it compiles the policy now", worker.pid)
    # Tells the app it may ask to be recycled (SIGTERM to itself: a graceful exit the master replaces).
    os.environ["COMPLAINTS_GUNICORN_WORKER"] = "1"


def post_worker_init(worker):
    # The app is loaded: the policy compiled, the modules, the store's metadata. Moved out of the
    # collector's reach, a decision's garbage no longer makes it walk them (bench/request_cpu.py:
    # 6-15 % less CPU a request).
    gc.collect()
    gc.freeze()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if Path(metrics_dir).name.startswith("complaints-metrics-"):
        shutil.rmtree(metrics_dir, ignore_errors=True)
