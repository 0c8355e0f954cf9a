"""Service configuration: defaults, then environment variables, then ``create_app(config)``.

Imports nothing of the engine but its outcome cache's settings (with the defaults of rules/ and store/,
and lifecycle/webhook_config.py, standard library only), so gunicorn's master can check it before forking.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

from engine.outcome_settings import CacheSettings
from lifecycle import webhook_config
from rules.default_policy import ENVIRONMENT, GIVEN, PolicyChoice, choose_policy
from store.db import DEFAULT_URL

ENVIRONMENTS = ("development", "production")
NO_ACTIVE_KEY = "no active API key in the store: create one with `complaints keys create` first"
AUTH_MODES = ("keys", "off")


class ConfigError(ValueError):
    """The configuration is unsafe or malformed; the service refuses to start."""


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    auth: str = ""  # "" = by environment: keys in production, off in development
    database_url: str = DEFAULT_URL  # relative to the working directory
    policy_path: str = ""  # "" = by the lookup order: ./policies.yaml, else the shipped default (load_settings)
    policy_source: str = ""  # which: rules.default_policy's GIVEN, ENVIRONMENT, CURRENT_FOLDER or SHIPPED
    max_body_bytes: int = 1_048_576
    max_batch_body_bytes: int = 16_777_216
    batch_limit: int = 500
    page_size_max: int = 100
    retry_after_seconds: int = 5
    sqlite_busy_timeout_ms: int = 5000
    db_pool_size: int = 5
    db_statement_timeout_ms: int = 5000  # PostgreSQL: longest statement or lock wait, also when the server stalls
    policy_poll_seconds: int = 5  # how often an instance looks for newly published policies
    max_rulesets: int = 200  # native rulesets a gunicorn worker may hold before it is recycled
    signing_key_file: str = ""  # Ed25519 private key (PEM) that signs checkpoints; "" = COMPLAINTS_SIGNING_KEY or none
    checkpoint_every: int = 1000  # sign the chain head every N decisions (0: not by count)
    checkpoint_seconds: int = 300  # ... and every M seconds if decisions were recorded (0: not by time)
    witness_files: str = ""  # files of signed heads kept outside the store, comma-separated (the console shows each)
    min_coverage: int = 100  # % of rules and when_any alternatives a proposal's own tests must exercise
    impact_days: int = 30  # the review packet replays the decisions recorded in the last N days
    # An event dated more than this many seconds after the server's clock is refused (a typo'd year, a
    # wrong offset); the decision itself never reads the clock.
    event_max_skew_seconds: int = 300
    # Outbound webhooks (lifecycle/webhook_config.py): subscribers, the signing secrets' file, delivery.
    webhook_urls: str = ""  # "" = no subscriber: notifications wait in the outbox
    webhook_secret_file: str = ""
    webhook_deliver: int = 0  # 1: this process runs a deliverer thread (opt-in)
    webhook_timeout_ms: int = webhook_config.DEFAULT_TIMEOUT_MS
    webhook_max_attempts: int = webhook_config.DEFAULT_MAX_ATTEMPTS
    webhook_backoff_seconds: int = webhook_config.DEFAULT_BACKOFF_SECONDS
    webhook_backoff_max_seconds: int = webhook_config.DEFAULT_BACKOFF_MAX_SECONDS
    webhook_poll_seconds: int = webhook_config.DEFAULT_POLL_SECONDS
    webhook_allow_networks: str = ""  # production: private networks a subscriber may be in ("" = public only)

    group_commit_max_batch: int = 64  # appends of a worker's threads written in one transaction, at most
    group_commit_wait_us: int = 0  # how long the writer waits for a short batch to fill (µs, at most 2000)

    @property
    def policy(self) -> PolicyChoice:
        return PolicyChoice(self.policy_path, self.policy_source)

    @property
    def witness_paths(self) -> tuple[str, ...]:
        """COMPLAINTS_WITNESS_FILES as paths, in the order given."""
        return tuple(path.strip() for path in self.witness_files.split(",") if path.strip())

    @property
    def auth_mode(self) -> str:
        return self.auth or ("keys" if self.env == "production" else "off")

    def check(self) -> Settings:
        if self.env not in ENVIRONMENTS:
            raise ConfigError(f"COMPLAINTS_ENV={self.env!r}: expected one of {', '.join(ENVIRONMENTS)}")
        if self.auth and self.auth not in AUTH_MODES:
            raise ConfigError(f"COMPLAINTS_AUTH={self.auth!r}: expected one of {', '.join(AUTH_MODES)}")
        if self.env == "production" and self.auth_mode != "keys":
            raise ConfigError(
                "COMPLAINTS_ENV=production requires COMPLAINTS_AUTH=keys: refusing to serve without API keys"
            )
        for name in ("max_body_bytes", "max_batch_body_bytes", "batch_limit", "page_size_max", "retry_after_seconds"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1")
        for name in ("checkpoint_every", "checkpoint_seconds"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{ENV_VARS[name]} must be 0 (off) or more")
        if not 0 <= self.min_coverage <= 100:
            raise ConfigError(f"COMPLAINTS_MIN_COVERAGE={self.min_coverage}: expected a percentage from 0 to 100")
        if not 1 <= self.group_commit_max_batch <= 1000:
            raise ConfigError(
                f"COMPLAINTS_GROUP_COMMIT_MAX_BATCH={self.group_commit_max_batch}: expected 1 to 1000 appends"
            )
        if not 0 <= self.group_commit_wait_us <= 2000:
            raise ConfigError(
                f"COMPLAINTS_GROUP_COMMIT_WAIT_US={self.group_commit_wait_us}: expected 0 to 2000 microseconds"
            )
        if not 0 <= self.event_max_skew_seconds <= 31_536_000:
            raise ConfigError(
                f"COMPLAINTS_EVENT_MAX_SKEW_SECONDS={self.event_max_skew_seconds}: expected 0 to 31536000 seconds"
                " (a year)"
            )
        if not 0 <= self.impact_days <= 3660:
            raise ConfigError(f"COMPLAINTS_IMPACT_DAYS={self.impact_days}: expected 0 to 3660 days")
        if self.webhook_deliver not in (0, 1):
            raise ConfigError(f"COMPLAINTS_WEBHOOK_DELIVER={self.webhook_deliver}: expected 0 (off) or 1 (on)")
        config = self.webhooks()
        if self.webhook_deliver and config is None:
            raise ConfigError("COMPLAINTS_WEBHOOK_DELIVER=1 needs subscribers in COMPLAINTS_WEBHOOK_URLS")
        return self

    def webhooks(self) -> webhook_config.WebhookConfig | None:
        """The webhook configuration (secrets read from their file), or None without subscribers."""
        try:
            return webhook_config.build_config(
                self.webhook_urls,
                self.webhook_secret_file,
                production=self.env == "production",
                timeout_ms=self.webhook_timeout_ms,
                max_attempts=self.webhook_max_attempts,
                backoff_seconds=self.webhook_backoff_seconds,
                backoff_max_seconds=self.webhook_backoff_max_seconds,
                poll_seconds=self.webhook_poll_seconds,
                allow_networks=self.webhook_allow_networks,
            )
        except webhook_config.WebhookConfigError as exc:
            raise ConfigError(str(exc)) from None


# Setting -> environment variable.
ENV_VARS = {
    "env": "COMPLAINTS_ENV",
    "auth": "COMPLAINTS_AUTH",
    "database_url": "DATABASE_URL",
    "policy_path": "COMPLAINTS_POLICY",
    "max_body_bytes": "COMPLAINTS_MAX_BODY_BYTES",
    "max_batch_body_bytes": "COMPLAINTS_MAX_BATCH_BODY_BYTES",
    "batch_limit": "COMPLAINTS_BATCH_LIMIT",
    "page_size_max": "COMPLAINTS_PAGE_SIZE_MAX",
    "retry_after_seconds": "COMPLAINTS_RETRY_AFTER",
    "sqlite_busy_timeout_ms": "COMPLAINTS_SQLITE_BUSY_TIMEOUT_MS",
    "db_pool_size": "COMPLAINTS_DB_POOL_SIZE",
    "db_statement_timeout_ms": "COMPLAINTS_DB_STATEMENT_TIMEOUT_MS",
    "policy_poll_seconds": "COMPLAINTS_POLICY_POLL_SECONDS",
    "max_rulesets": "COMPLAINTS_MAX_RULESETS",
    "signing_key_file": "COMPLAINTS_SIGNING_KEY_FILE",
    "checkpoint_every": "COMPLAINTS_CHECKPOINT_EVERY",
    "checkpoint_seconds": "COMPLAINTS_CHECKPOINT_SECONDS",
    "witness_files": "COMPLAINTS_WITNESS_FILES",
    "min_coverage": "COMPLAINTS_MIN_COVERAGE",
    "impact_days": "COMPLAINTS_IMPACT_DAYS",
    "event_max_skew_seconds": "COMPLAINTS_EVENT_MAX_SKEW_SECONDS",
    "webhook_urls": "COMPLAINTS_WEBHOOK_URLS",
    "webhook_secret_file": "COMPLAINTS_WEBHOOK_SECRET_FILE",
    "webhook_deliver": "COMPLAINTS_WEBHOOK_DELIVER",
    "webhook_timeout_ms": "COMPLAINTS_WEBHOOK_TIMEOUT_MS",
    "webhook_max_attempts": "COMPLAINTS_WEBHOOK_MAX_ATTEMPTS",
    "webhook_backoff_seconds": "COMPLAINTS_WEBHOOK_BACKOFF_SECONDS",
    "webhook_backoff_max_seconds": "COMPLAINTS_WEBHOOK_BACKOFF_MAX_SECONDS",
    "webhook_poll_seconds": "COMPLAINTS_WEBHOOK_POLL_SECONDS",
    "webhook_allow_networks": "COMPLAINTS_WEBHOOK_ALLOW_NETWORKS",
    "group_commit_max_batch": "COMPLAINTS_GROUP_COMMIT_MAX_BATCH",
    "group_commit_wait_us": "COMPLAINTS_GROUP_COMMIT_WAIT_US",
}


def load_settings(config: Mapping[str, object] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from the environment, overridden by ``config`` (keys: setting names or env var names)."""
    env = os.environ if environ is None else environ
    config = dict(config or {})
    by_var = {var: name for name, var in ENV_VARS.items()}
    values: dict[str, object] = {}
    for name, var in ENV_VARS.items():
        if env.get(var, "") != "":
            values[name] = env[var]
    for key, value in config.items():
        name = by_var.get(key, key.lower())
        if name not in ENV_VARS:
            raise ConfigError(f"unknown setting {key!r}")
        values[name] = value
    typed: dict[str, object] = {}
    for spec in fields(Settings):
        if spec.name in values:
            value = values[spec.name]
            if spec.type == "int":
                try:
                    value = int(str(value).strip())  # via text: True or 5.5 is refused, not read as 1 or 5
                except (TypeError, ValueError):
                    raise ConfigError(f"{ENV_VARS[spec.name]}: expected a whole number, got {value!r}") from None
            else:
                value = str(value).strip()
            typed[spec.name] = value
    if typed.get("policy_path"):
        typed["policy_source"] = GIVEN if "policy_path" in config or "COMPLAINTS_POLICY" in config else ENVIRONMENT
    else:
        choice = choose_policy(None, environ={})  # ./policies.yaml, else the shipped default
        typed["policy_path"], typed["policy_source"] = choice.path, choice.source
    try:  # read by the engine itself (engine/compiled.py); checked here so a bad value refuses the start
        CacheSettings.from_env(env)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return Settings(**typed).check()  # type: ignore[arg-type]  # each value converted to its field's type above
