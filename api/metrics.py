"""Prometheus metrics.

Under gunicorn, several worker processes each count their own requests. With
``PROMETHEUS_MULTIPROC_DIR`` set (api/gunicorn_conf.py sets and empties it at
start, and marks dead workers), the values live in files in that directory
and /metrics adds up every worker's; without it, /metrics shows this
process only (fine for ``python app.py``).
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

DECISIONS = Counter(
    "complaints_decisions",
    "Decisions recorded, by handling team, level and remedy types",
    ["team", "level", "remedy"],
)
REPLAYS = Counter("complaints_idempotent_replays", "Requests answered with a decision stored before (same body)")
DECISION_SECONDS = Histogram(
    "complaints_decision_seconds",
    "Time to validate, decide and durably record one complaint",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
REQUEST_SECONDS = Histogram(
    "complaints_http_request_seconds",
    "HTTP request latency by route, method and status",
    ["route", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
POLICY_RELOAD_FAILURES = Gauge(
    "complaints_policy_reload_failures",
    "Policy reloads that failed since start (the policy in force stayed); highest of the workers",
    multiprocess_mode="max",
)
POLICY_SOURCE_FAILING = Gauge(
    "complaints_policy_source_failing",
    "1 while a policy source (the file, the store's publications) fails to load and the last good version "
    "serves; 0 once it loads again; highest of the live workers",
    multiprocess_mode="livemax",
)
POLICY_VERSIONS = Gauge(
    "complaints_policy_versions", "Policy versions loaded by this instance", multiprocess_mode="max"
)
CALENDAR_DAYS_LEFT = Gauge(
    "complaints_calendar_days_left",
    "Days of holiday calendar left after today in the newest policy version (0 or less: run out); lowest of the workers",
    multiprocess_mode="min",
)
SIGNING_REFUSED = Gauge(
    "complaints_signing_refused",
    "1 while the signer refuses to sign the chain head because the store's history no longer extends the head "
    "it signed last (rewritten, rolled back or statements deleted); 0 once it signs again; highest of the workers",
    multiprocess_mode="livemax",
)
STORE_BATCH_APPENDS = Histogram(
    "complaints_store_batch_appends",
    "Appends written per store transaction (group commit: those that queued while the previous batch was written)",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000),
)
ERRORS = Counter("complaints_errors", "Error answers by kind (problem type)", ["kind"])
INTEGRITY_MISMATCHES = Counter(
    "complaints_integrity_mismatches",
    "Stored decisions served (read or exported) whose content no longer hashes to their chain_hash",
    ["where"],
)

WEBHOOK_ATTEMPTS = Counter(
    "complaints_webhook_attempts",
    "Webhook delivery attempts by outcome: delivered, retrying (will be tried again), dead (out of attempts)",
    ["outcome"],
)
WEBHOOK_OUTBOX = Gauge(
    "complaints_webhook_outbox",
    "Webhook outbox rows by state after the last delivery pass (queued: not yet fanned out to subscribers); "
    "the store's count, so the latest worker's",
    ["state"],
    multiprocess_mode="mostrecent",
)


def count_webhook_attempt(outcome: str, _delivery=None, _attempt=None) -> None:
    WEBHOOK_ATTEMPTS.labels(outcome=outcome).inc()


def record_webhook_outbox(depth: dict[str, int]) -> None:
    for state, count in depth.items():
        WEBHOOK_OUTBOX.labels(state=state).set(count)


def count_decision(decision: dict) -> None:
    route = decision["route"]
    remedy = "+".join(sorted({c["type"] for c in decision["remedy"]["components"]})) or "none"
    team = route["team"] or ("redirect" if route["redirect"] else "none")
    DECISIONS.labels(team=team, level=route["level"] or "none", remedy=remedy).inc()


def record_policy_status(registry) -> None:
    POLICY_RELOAD_FAILURES.set(registry.status.failures)
    POLICY_SOURCE_FAILING.set(1 if registry.status.failing else 0)
    POLICY_VERSIONS.set(len(registry.book.versions))


def record_calendar_horizon(horizon) -> None:
    if horizon is not None:
        CALENDAR_DAYS_LEFT.set(horizon.days_left)


def record_signing(refused: str | None) -> None:
    SIGNING_REFUSED.set(1 if refused else 0)


def exposition() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
