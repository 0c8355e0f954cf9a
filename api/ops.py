"""Operations: liveness, readiness, Prometheus metrics, and the human-readable API docs."""

from __future__ import annotations

import logging

from flask import Response, current_app
from flask_smorest import Blueprint

from api import metrics
from api.context import services
from api.docs import render_docs
from api.openapi import errors
from api.problems import Problem
from api.schemas import HealthSchema, ReadySchema
from engine.version import ENGINE_VERSION
from store import StoreUnavailable

log = logging.getLogger("complaints.service")
blp = Blueprint("ops", __name__, description="Health, readiness and metrics (no API key needed)")
PUBLIC: dict[str, list] = {"security": []}


@blp.route("/healthz", methods=["GET"])
@blp.doc(summary="Liveness: the process answers, and its version", **PUBLIC)
@blp.response(200, HealthSchema)
def healthz():
    return {"status": "ok", "version": ENGINE_VERSION}


@blp.route("/readyz", methods=["GET"])
@blp.doc(
    summary="Readiness: the policy is compiled and the decision store is reachable and writable",
    description="503 with Retry-After while the store cannot be reached or its last write (or a probe write, "
    "when none was made within Retry-After seconds) failed. Also reports the days of holiday calendar left "
    "(`checks.calendar`, a warning that keeps the instance ready).",
    **PUBLIC,
)
@blp.response(200, ReadySchema)
@errors(blp, 503)
def readyz():
    ctx = services()
    retry = {"Retry-After": str(ctx.settings.retry_after_seconds)}
    try:
        ctx.store.ping()
    except StoreUnavailable as exc:
        log.warning("not ready: decision store unreachable", extra={"reason": str(exc)})
        raise Problem("not-ready", "the decision store is unreachable", headers=retry) from None
    try:
        # Reachable is not enough (a full disk, a read-only file): the last write, or a probe write.
        ctx.store.check_writes(fresh_seconds=ctx.settings.retry_after_seconds)
    except StoreUnavailable as exc:
        log.warning("not ready: decision store cannot write", extra={"reason": str(exc)})
        raise Problem("not-ready", f"the decision store cannot write: {exc}", headers=retry) from None
    policy = ctx.decider.policy
    status = ctx.policies.status
    metrics.record_policy_status(ctx.policies)
    horizon = ctx.calendar_horizon()
    metrics.record_calendar_horizon(horizon)
    signing = _signing_check(ctx)
    return {
        # Degraded, still serving: decisions are recorded, but no head is signed until the history is put back.
        "status": "degraded" if signing.startswith("refused") else "ready",
        "checks": {
            "policy": "compiled",
            "store": "reachable",
            "store_writes": "ok",
            # A failed reload leaves the last good policy in force: still ready, but say so.
            "policy_reload": f"failed at {status.last_error_at}: {status.last_error}" if status.last_error else "ok",
            # A calendar running out is still ready (decisions go on, on the stated fallback): say so.
            "calendar": _calendar_check(horizon),
            "signing": signing,
        },
        "policy": {"digest": policy.digest, "version": policy.version},
        "calendar": horizon.as_dict() if horizon else None,
        "policy_mode": ctx.policies.mode,
    }


def _signing_check(ctx) -> str:
    checkpointer = ctx.checkpointer
    metrics.record_signing(checkpointer.refused if checkpointer is not None else None)
    if checkpointer is None:
        return "off: no signing key (COMPLAINTS_SIGNING_KEY_FILE)"
    if checkpointer.refused:
        return f"refused: {checkpointer.refused}"
    if checkpointer.signed_heads is None:
        return "warning: no signed-head file (COMPLAINTS_SIGNED_HEAD_FILE): a rewritten history would be signed"
    return "ok"


def _calendar_check(horizon) -> str:
    if horizon is None:
        return "warning: the policy calendar lists no year"
    return ("warning: " if horizon.running_out else "ok: ") + horizon.message()


@blp.route("/metrics", methods=["GET"])
@blp.doc(
    summary="Prometheus metrics",
    description="Text exposition format: decisions by team, level and remedy; latency histograms; errors by kind.",
    responses={
        "200": {"description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}}
    },
    **PUBLIC,
)
def metrics_endpoint():
    ctx = services()
    metrics.record_policy_status(ctx.policies)
    metrics.record_calendar_horizon(ctx.calendar_horizon())
    metrics.record_signing(ctx.checkpointer.refused if ctx.checkpointer is not None else None)
    body, content_type = metrics.exposition()
    return Response(body, mimetype=None, content_type=content_type)


@blp.route("/docs", methods=["GET"])
@blp.doc(
    summary="API documentation (HTML, rendered from /openapi.json; no JavaScript)",
    responses={"200": {"description": "HTML page", "content": {"text/html": {"schema": {"type": "string"}}}}},
    **PUBLIC,
)
def docs():
    spec = current_app.extensions["complaints_api"].spec.to_dict()
    return Response(render_docs(spec), mimetype="text/html")
