"""The HTTP decision service: ``create_app()`` (``create_app_or_exit()`` for gunicorn), ``python app.py`` for development.

Development (``make run``): 127.0.0.1:8080, SQLite under ./var/, policies.yaml,
API keys off unless COMPLAINTS_AUTH=keys. Production: see api/gunicorn_conf.py.
The policy is compiled to durable_rules rulesets here, i.e. in each gunicorn
worker after fork, never in the master.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import time
import uuid
from pathlib import Path

from flask import Flask, current_app, g, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException
from werkzeug.serving import WSGIRequestHandler

from api import metrics
from api.body import refuse_nul
from api.context import Services
from api.logs import access, configure_logging
from api.openapi import ProblemApi
from api.problems import (
    SHARED_FAILURES,
    Problem,
    handle_http_exception,
    handle_problem,
    handle_shared_failure,
    handle_unexpected,
)
from api.schemas import BatchRequestSchema
from api.settings import NO_ACTIVE_KEY, ConfigError, Settings, load_settings
from engine.complaint import Amount, complaint_schema
from engine.runtime import native_ruleset_count
from engine.version import ENGINE_VERSION
from lifecycle.checkpointing import Checkpointer, policy_refs
from lifecycle.decision_service import DecisionService
from lifecycle.reloader import NoGoodPolicy, PolicyRegistry
from lifecycle.webhook_delivery import Deliverer
from store import DecisionStore, StoreNeedsUpgrade, StoreUnavailable
from store.signing import KEY_FILE_ENV, SigningKeyError, signing_key_from_env
from store.witness import HEAD_FILE_ENV, HeadFile, head_path_for_key

log = logging.getLogger("complaints.service")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class _Utf8Json(DefaultJSONProvider):
    ensure_ascii = False  # Chinese labels as they are, not as \u escapes


def create_app(config: dict | None = None) -> Flask:
    """Build the app: load settings, compile the policy, open the store, check keys."""
    configure_logging()
    settings = load_settings(config)
    store = DecisionStore(
        settings.database_url,
        sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        pool_size=settings.db_pool_size,
        statement_timeout_ms=settings.db_statement_timeout_ms,
        group_commit_max_batch=settings.group_commit_max_batch,
        group_commit_wait_us=settings.group_commit_wait_us,
    )
    _refuse_keyless_production(store, settings)
    _refuse_old_schema(store)
    log.info(settings.policy.describe(), extra={"policy_file": settings.policy_path, "source": settings.policy_source})
    # A bad policy file boots on its last good version in the store (NoGoodPolicy if there is none);
    # later, a bad reload keeps the good one.
    # In production only the versions scheduled in the policy register decide; the file is a draft.
    registry = PolicyRegistry(
        settings.policy_path, store, settings.policy_poll_seconds, governed=settings.env == "production"
    )
    registry.on_status = metrics.record_policy_status
    if os.environ.get("COMPLAINTS_GUNICORN_WORKER") or __name__ == "__main__":
        registry.start_polling()  # every worker clears a fixed failure itself, requests or not
    log.info("policy mode: %s; %s", registry.mode["mode"], registry.mode["deciding"], extra=registry.mode)
    metrics.record_policy_status(registry)
    decider = registry.book.latest
    _open_store(store, decider, settings)
    store.group_commit.on_batch = metrics.STORE_BATCH_APPENDS.observe
    checkpointer = _checkpointer(settings, store, registry)
    deliverer = _webhook_deliverer(settings, store)

    app = Flask(__name__)
    app.config.update(
        API_TITLE="Complaint decision service",
        API_VERSION=ENGINE_VERSION,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=max(settings.max_body_bytes, settings.max_batch_body_bytes),
        API_SPEC_OPTIONS={
            "info": {
                "description": "Decides e-commerce complaints under the policy in force (policies.yaml) and keeps "
                "every decision with its exact input, policy and a tamper-evident hash chain. "
                f"Engine {ENGINE_VERSION}; policy {decider.policy.version} ({decider.policy.digest[:12]})."
            },
            "security": [{"bearerAuth": []}],
        },
    )
    app.json = _Utf8Json(app)
    service = DecisionService(registry, store, checkpointer.recorded if checkpointer else None)
    app.extensions["complaints"] = Services(settings, registry, store, service, checkpointer=checkpointer)
    app.extensions["complaints_webhooks"] = deliverer

    api = ProblemApi(app)
    app.extensions["complaints_api"] = api
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "API key made with `complaints keys create`"}
    )
    api.ma_plugin.converter.add_attribute_function(_amount_property)
    api.spec.components.schema("Complaint", schema=type(complaint_schema(decider.policy.levels)))
    api.spec.components.schema("BatchRequest", schema=BatchRequestSchema)

    from api.decisions import blp as decisions_blp
    from api.ops import blp as ops_blp
    from api.policy_in_force import blp as policy_blp
    from api.policy_versions import blp as policies_blp
    from api.policy_versions import register_schemas
    from api.proposals import blp as proposals_blp  # propose, approve, reject, withdraw, notice (issue 12)
    from api.proposals import register_schemas as register_proposal_schemas

    register_schemas(api.spec)
    register_proposal_schemas(api.spec)
    for blueprint in (decisions_blp, policy_blp, policies_blp, ops_blp, proposals_blp):
        api.register_blueprint(blueprint)
    from api.audit import blp as audit_blp  # replay, verify, exports (issue 4)

    api.register_blueprint(audit_blp)
    from api.clock import blp as clock_blp  # events, work queues, escalation (issue 16)

    api.register_blueprint(clock_blp)
    _state_configured_limits(api.spec, settings)

    # After Api(app): ours replace flask-smorest's JSON error handler.
    app.register_error_handler(Problem, handle_problem)
    for failure in SHARED_FAILURES:
        app.register_error_handler(failure, handle_shared_failure)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
    app.before_request(_before)
    app.after_request(_after)
    from console import init_console  # the web console under /console (issue 18)

    init_console(app)
    from api.manual import blp as manual_blp  # the manual at /docs/, the interactive API reference at /docs/api/

    app.register_blueprint(manual_blp)
    return app


def _state_configured_limits(spec, settings: Settings) -> None:
    """The OpenAPI document states the limits the views enforce, which come from settings, not the schemas."""
    for parameter in spec._paths["/v1/complaints/{complaint_id}/decisions"]["get"]["parameters"]:
        if parameter["name"] == "page_size":
            parameter["schema"]["maximum"] = settings.page_size_max
    complaints = spec.components.schemas["BatchRequest"]["properties"]["complaints"]
    complaints["minItems"], complaints["maxItems"] = 1, settings.batch_limit


def create_app_or_exit() -> Flask:
    """``create_app()`` for gunicorn workers and ``python app.py``: a refusal to start is one log line.

    Exit status 3 is gunicorn's "worker failed to boot": the master stops with that reason instead of
    starting workers that cannot boot, over and over.
    """
    try:
        return create_app()
    except (ConfigError, NoGoodPolicy, StoreNeedsUpgrade) as exc:
        log.critical("refusing to start: %s", " ".join(str(exc).split()))
        raise SystemExit(3) from None


def _amount_property(self, field, **kwargs) -> dict:
    """Amounts are decimals given as text ("199.00") or JSON numbers (read as decimals, never floats)."""
    if isinstance(field, Amount):
        return {
            "oneOf": [{"type": "string", "pattern": r"^[0-9]{1,12}(\.[0-9]{2})?$"}, {"type": "number", "minimum": 0}],
            "description": "CNY: digits, optionally a point and exactly 2 decimals (rules/amounts.py)",
            "example": "199.00",
        }
    return {}


def _refuse_keyless_production(store: DecisionStore, settings: Settings) -> None:
    """Production needs an active API key: refused (ConfigError) before anything is written to the store,
    not even its tables or the policy adopted as the baseline. An unreachable store is left to _open_store."""
    if settings.env != "production" or settings.auth_mode != "keys":
        return
    try:
        state = store.schema_state()
        if state.empty or (state.ready and store.active_key_count() == 0):
            raise ConfigError(NO_ACTIVE_KEY)
    except StoreUnavailable:
        pass


def _refuse_old_schema(store: DecisionStore) -> None:
    """Create a new store, or refuse (StoreNeedsUpgrade) one that needs `complaints store upgrade`,
    before anything reads it. An unreachable store is reported by _open_store and served as 503."""
    try:
        store.init_schema()
    except StoreUnavailable:
        pass


def _open_store(store: DecisionStore, decider, settings: Settings) -> None:
    try:
        store._ensure_schema()
        store.store_policy(decider.policy)
        active_keys = store.active_key_count()
    except StoreUnavailable as exc:
        # Start anyway: /readyz says not ready and requests get 503 until the store is back.
        log.error("decision store unreachable at start; serving 503 until it is back", extra={"reason": str(exc)})
        active_keys = None
    if settings.auth_mode == "off":
        log.warning(
            "API KEYS ARE OFF: every caller may decide and read every decision. Development only; "
            "bind to 127.0.0.1 only. Set COMPLAINTS_AUTH=keys (COMPLAINTS_ENV=production requires it).",
            extra={"auth": "off", "env": settings.env},
        )
    elif active_keys == 0:
        if settings.env == "production":
            raise ConfigError(NO_ACTIVE_KEY)  # a key revoked since _refuse_keyless_production looked
        log.warning("API keys are on but none exists yet: create one with `complaints keys create`")
    log.info(
        "service ready",
        extra={
            "policy_version": decider.policy.version,
            "policy_digest": decider.policy.digest,
            "engine_version": ENGINE_VERSION,
            "store": store.dialect,
            "auth": settings.auth_mode,
            "env": settings.env,
            "pid": os.getpid(),
        },
    )


def _checkpointer(settings: Settings, store: DecisionStore, registry: PolicyRegistry) -> Checkpointer | None:
    """The checkpoint schedule, with the signing key from COMPLAINTS_SIGNING_KEY_FILE or COMPLAINTS_SIGNING_KEY."""
    try:
        signer = signing_key_from_env(os.environ, settings.signing_key_file or None)
    except SigningKeyError as exc:
        raise ConfigError(str(exc)) from None
    if signer is None:
        log.warning(
            "no signing key: checkpoints are off, so someone able to write the database could recompute the "
            "hash chain undetected. Create one with `complaints keys signing create` and set "
            "COMPLAINTS_SIGNING_KEY_FILE."
        )
        return None
    key_file = settings.signing_key_file or os.environ.get(KEY_FILE_ENV, "")
    head_path = os.environ.get(HEAD_FILE_ENV, "") or (str(head_path_for_key(key_file)) if key_file else "")
    if not head_path:
        log.warning(
            "no signed-head file: the signer cannot tell a rewritten history from its own, and would sign it. "
            f"Set {HEAD_FILE_ENV} to a file outside the database (the key's own file has one beside it)."
        )
    checkpointer = Checkpointer(
        store,
        signer,
        lambda: policy_refs(d.policy for d in registry.book.versions),
        every=settings.checkpoint_every,
        seconds=settings.checkpoint_seconds,
        signed_heads=HeadFile(Path(head_path)) if head_path else None,
    )
    checkpointer.start()
    log.info(
        "checkpoints on",
        extra={"key_id": signer.key_id, "every": settings.checkpoint_every, "seconds": settings.checkpoint_seconds},
    )
    return checkpointer


def _webhook_deliverer(settings: Settings, store: DecisionStore) -> Deliverer | None:
    """The webhook deliverer thread, when COMPLAINTS_WEBHOOK_DELIVER=1 (each worker runs one; rows are leased)."""
    config = settings.webhooks()  # checked by load_settings; read again here for the secrets
    if config is None:
        return None
    if not settings.webhook_deliver:
        log.info(
            "webhook subscribers configured, delivery off here: run `complaints webhooks deliver` or set "
            "COMPLAINTS_WEBHOOK_DELIVER=1",
            extra={"subscribers": len(config.subscribers)},
        )
        return None
    deliverer = Deliverer(
        store, config, on_attempt=metrics.count_webhook_attempt, on_depth=metrics.record_webhook_outbox
    )
    deliverer.start()
    log.info(
        "webhook delivery on",
        extra={"subscribers": len(config.subscribers), "poll_seconds": config.poll_seconds},
    )
    return deliverer


def _before() -> None:
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
    g.started = time.perf_counter()
    # PostgreSQL text cannot hold U+0000: a path or query parameter with it is refused before any view reads it.
    refuse_nul("path parameter", {name: str(value) for name, value in (request.view_args or {}).items()})
    refuse_nul("query parameter", {name: value for name, value in request.args.items(multi=True)})


_recycle_requested = False


def _recycle_if_bloated() -> None:
    """durable_rules never frees a ruleset: after many distinct policies (reloads, impact
    candidates) a gunicorn worker exits gracefully and the master starts a fresh one."""
    global _recycle_requested
    limit = current_app.extensions["complaints"].settings.max_rulesets
    if _recycle_requested or native_ruleset_count() <= limit:
        return
    _recycle_requested = True
    if os.environ.get("COMPLAINTS_GUNICORN_WORKER"):
        log.warning("worker holds %d rulesets (limit %d): recycling it", native_ruleset_count(), limit)
        os.kill(os.getpid(), signal.SIGTERM)
    else:
        log.warning(
            "process holds %d rulesets (limit %d): restart it to return their memory", native_ruleset_count(), limit
        )


def _after(response):
    _recycle_if_bloated()
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    route = request.url_rule.rule if request.url_rule else "unmatched"
    response.headers["X-Request-ID"] = g.get("request_id", "")
    if request.path.startswith("/v1/"):
        response.headers["Cache-Control"] = "no-store"
    kind = g.get("error_kind")
    if kind:
        metrics.ERRORS.labels(kind=kind).inc()
    metrics.REQUEST_SECONDS.labels(route=route, method=request.method, status=str(response.status_code)).observe(
        elapsed
    )
    entry = {
        "request_id": g.get("request_id"),
        "method": request.method,
        "route": route,
        "status": response.status_code,
        "latency_ms": round(elapsed * 1000, 3),
        "key_id": g.get("key_id"),
    }
    if g.get("decision_id"):
        entry["decision_id"] = g.decision_id
    if g.get("batch"):
        entry["batch"] = g.batch
    if kind:
        entry["error"] = kind
    access.info("request", extra=entry)
    return response


class _OneLinePerRequest(WSGIRequestHandler):
    """The development server's handler without its own access line: _after logs each request once, in JSON."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "8080"))
    application = create_app_or_exit()
    settings: Settings = application.extensions["complaints"].settings
    if settings.env == "production":
        log.warning(
            "python app.py runs Flask's development server; in production run gunicorn -c python:api.gunicorn_conf"
        )
    # SIGHUP re-reads the policy file (and published versions) before the next request.
    signal.signal(signal.SIGHUP, application.extensions["complaints"].policies.request_reload)
    application.run(host="127.0.0.1", port=port, threaded=True, request_handler=_OneLinePerRequest)
