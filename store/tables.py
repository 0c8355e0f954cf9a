"""The decision store's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Times are ISO 8601 UTC text (``2026-03-02T02:00:00.123456+00:00``) so that a row
reads back byte for byte on both databases and the hash chain can be recomputed
from what is stored.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# One row per policy text, keyed by its digest: decisions point here.
policies = Table(
    "policies",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("version", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("announced_at", String(40), nullable=False),
    Column("effective_from", String(40), nullable=False),
    Column("stored_at", String(40), nullable=False),
)

# A policy version made available to every instance sharing the store
# (`complaints publish`, POST /v1/policies). ``id`` orders publications, so an
# instance asks only for those after the last one it has seen.
publications = Table(
    "publications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("digest", String(64), ForeignKey("policies.digest"), nullable=False, unique=True),
    Column("published_at", String(40), nullable=False),
    Column("published_by", String(200), nullable=False),
    Column("acknowledged", Text, nullable=False),  # canonical JSON list of acknowledged warnings
)

# The sha256 of each policy text exactly as stored (the policy's own digest covers only its
# meaning, so a comment-only edit would go unseen). `complaints store verify` rehashes every
# text. Policies stored before this table existed have no row; verify checks them by content.
policy_text_digests = Table(
    "policy_text_digests",
    metadata,
    Column("digest", String(64), ForeignKey("policies.digest"), primary_key=True),
    Column("text_sha256", String(64), nullable=False),
    Column("recorded_at", String(40), nullable=False),
)

# The last policy text each instance's policy file loaded, by the file's absolute path: a worker
# (re)started while that file is broken boots on this version instead of failing
# (lifecycle/reloader.py). One row per path; instances sharing the store and the path share it.
policy_sources = Table(
    "policy_sources",
    metadata,
    Column("source", String(1000), primary_key=True),
    Column("digest", String(64), ForeignKey("policies.digest"), nullable=False),
    Column("loaded_at", String(40), nullable=False),
)

# Append-only. ``seq`` is the position in the hash chain (1, 2, 3, ...).
decisions = Table(
    "decisions",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("decision_id", String(36), nullable=False, unique=True),
    Column("complaint_id", String(128), nullable=False),
    Column("request_body", Text, nullable=False),  # exactly as received (UTF-8 text)
    Column("request_digest", String(64), nullable=False),  # sha256 of the body's canonical JSON
    Column("decision", Text, nullable=False),  # canonical JSON of the engine's decision
    Column("fired_rules", Text, nullable=False),  # canonical JSON list of rule ids, in citation order
    Column("policy_digest", String(64), ForeignKey("policies.digest"), nullable=False),
    Column("policy_version", String(64), nullable=False),
    Column("engine_version", String(32), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("previous_decision_id", String(36), nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("chain_hash", String(64), nullable=False, unique=True),
    UniqueConstraint("complaint_id", "request_digest", "policy_digest", name="uq_decisions_idempotency"),
)
Index("ix_decisions_complaint", decisions.c.complaint_id, decisions.c.seq)

# A single row (id = 1): the last link of the hash chain. Writers lock it to append.
chain_head = Table(
    "chain_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("hash", String(64), nullable=False),
)

# Bearer API keys: only the sha256 of the key is kept.
api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(16), primary_key=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("roles", String(200), nullable=False),  # comma-separated
    Column("created_at", String(40), nullable=False),
    Column("revoked_at", String(40), nullable=True),
    # The person the key belongs to (four eyes compare people: one person's keys and console account are one
    # approver). NULL for keys made before persons were kept: the key is then its own person.
    Column("person", String(64), nullable=True),
)

# One row per retention purge (audit/retention.py). ``cut_hash`` is the ``chain_hash`` of the last
# purged decision: the ``prev_hash`` the first remaining decision must carry, i.e. where
# verification starts instead of GENESIS. (Created on first purge before 1.1; now by init_schema.)
purges = Table(
    "decision_purges",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("purged_at", String(40), nullable=False),  # when (UTC)
    Column("cut", String(40), nullable=False),  # decisions recorded before this instant were eligible (UTC)
    Column("older_than_years", Integer, nullable=False),
    Column("retention_basis", String(200), nullable=False),
    Column("count", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("first_seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("last_seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("first_decision_id", String(36), nullable=False),
    Column("last_decision_id", String(36), nullable=False),
    Column("cut_hash", String(64), nullable=False),  # chain_hash of seq last_seq
    Column("purged_by", String(200), nullable=False),
)

# Signed statements about the chain (store/checkpoints.py): checkpoints of the chain head, purge
# records, in one sequence (``id``), each naming the one before by digest. ``statement`` is the
# canonical JSON that was signed, byte for byte; the other columns repeat parts of it for queries.
statements = Table(
    "signed_statements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),  # checkpoint | purge
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),  # chain position signed
    Column("chain_hash", String(64), nullable=False),  # chain_hash at that position
    Column("statement", Text, nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("signature", String(200), nullable=False),  # base64 Ed25519 over the statement's UTF-8 bytes
    UniqueConstraint("kind", "seq", name="uq_signed_statements_kind_seq"),
)

# The public keys that signed statements, as recorded by the signer: for convenience (bundles,
# verification without a key file), never proof: whoever writes the database could add one.
signing_keys = Table(
    "signing_keys",
    metadata,
    Column("key_id", String(16), primary_key=True),
    Column("public_key", Text, nullable=False),  # PEM (SubjectPublicKeyInfo)
    Column("first_used_at", String(40), nullable=False),
)

# The policy register (store/governance.py): every governance transition of a policy version, in its
# own hash chain, and its head row. (Created on first use before 1.2; now with the store.)
EVENTS = ("proposed", "approved", "rejected", "scheduled", "withdrawn", "adopted")

policy_events = Table(
    "policy_events",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("digest", String(64), nullable=False),  # policies.digest (checked by verify, not by a foreign key)
    Column("version", String(64), nullable=False),
    Column("event", String(20), nullable=False),  # one of EVENTS
    Column("actor", String(200), nullable=False),  # key:<key_id> | operator:<user@host> | system
    Column("actor_name", String(200), nullable=False),
    Column("recorded_at", String(40), nullable=False),  # the server's clock, UTC
    Column("reason", Text, nullable=False),
    Column("detail", Text, nullable=False),  # canonical JSON: dates, notice, review packet, ...
    Column("decision_seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),  # decision chain head
    Column("decision_hash", String(64), nullable=False),  # ... then: ties the two chains' order
    Column("prev_hash", String(64), nullable=False),
    Column("chain_hash", String(64), nullable=False, unique=True),
)

policy_event_head = Table(
    "policy_event_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("hash", String(64), nullable=False),
)

# The webhook outbox (store/outbox.py): one row per notification, written in the transaction of
# whatever caused it. ``body`` is the exact JSON sent, byte for byte on every attempt and to every
# subscriber; ``event_id`` is its idempotency key for receivers (unique: a repeated key is one row).
# ``fanned_out_at`` is set once a deliverer has made this event's rows in ``webhook_deliveries``.
webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("kind", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("fanned_out_at", String(40), nullable=True),
)
Index("ix_webhook_events_fan_out", webhook_events.c.fanned_out_at, webhook_events.c.id)

# One row per (event, subscriber URL): its delivery state. ``status`` is pending, delivered or dead
# (kept, visible, retried only by hand). A deliverer claims a due pending row by setting
# ``lease_owner`` and ``lease_until``; another deliverer skips it until the lease runs out, so a
# crashed deliverer's rows are sent again (at least once), never by two deliverers at once.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("event_id", String(36), ForeignKey("webhook_events.event_id"), nullable=False),
    Column("subscriber", String(2000), nullable=False),
    Column("status", String(16), nullable=False),  # pending | delivered | dead
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", String(40), nullable=False),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", String(40), nullable=True),
    Column("last_attempt_at", String(40), nullable=True),
    Column("last_status", Integer, nullable=True),  # the receiver's HTTP status; None: no answer
    Column("last_error", String(500), nullable=True),
    Column("delivered_at", String(40), nullable=True),
    Column("created_at", String(40), nullable=False),
    UniqueConstraint("event_id", "subscriber", name="uq_webhook_deliveries_event_subscriber"),
)
Index("ix_webhook_deliveries_due", webhook_deliveries.c.status, webhook_deliveries.c.next_attempt_at)
# Console staff accounts (people, not systems; store/staff.py). The password is kept as an argon2id
# hash only. ``failed_attempts`` counts consecutive failed sign-ins; ``locked_until`` (UTC) is set
# when they reach the lockout threshold.
staff_accounts = Table(
    "staff_accounts",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("roles", String(200), nullable=False),  # comma-separated, the API keys' roles
    Column("password_hash", String(200), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("password_set_at", String(40), nullable=False),
    Column("disabled_at", String(40), nullable=True),
    Column("failed_attempts", Integer, nullable=False),
    Column("locked_until", String(40), nullable=True),
    Column("person", String(64), nullable=True),  # as api_keys.person; NULL: the account is its own person
)

# Console sessions: the cookie carries a random token, the store only its sha256. A session ends at
# sign-out, when the account is disabled or its password reset, or after its idle or absolute limit.
staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("username", String(64), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("last_seen_at", String(40), nullable=False),
    Column("ended_at", String(40), nullable=True),
)
Index("ix_staff_sessions_username", staff_sessions.c.username)

# The console's audit trail: sign-ins (and failures, lockouts), sign-outs, account changes and every
# privileged action, append-only and hash-chained like decisions (seq 1, 2, ...; GENESIS first).
staff_events = Table(
    "staff_events",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("recorded_at", String(40), nullable=False),
    Column("username", String(64), nullable=False),  # who acted (or tried to), "-" for none
    Column("action", String(40), nullable=False),
    Column("detail", Text, nullable=False),  # canonical JSON
    Column("prev_hash", String(64), nullable=False),
    Column("chain_hash", String(64), nullable=False, unique=True),
)

# A console author's working draft (policy text and its tests), one per account, saved on request:
# nothing decides under it; proposing it is what enters the policy register.
staff_drafts = Table(
    "staff_drafts",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("policy_text", Text, nullable=False),
    Column("tests_text", Text, nullable=False),
    Column("saved_at", String(40), nullable=False),
)


# The events reported on each complaint (the deadline clock, lifecycle/clock_service.py), written in
# the same transaction as the decision they produced. The unique key is the idempotency key: two
# systems reporting the same event at once record it once. ``at`` is UTC text (sorts as time);
# ``event`` is the canonical JSON of the event as recorded (in the decision's request too).
complaint_events = Table(
    "complaint_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("complaint_id", String(128), nullable=False),
    Column("type", String(64), nullable=False),
    Column("at", String(40), nullable=False),
    Column("subject", String(64), nullable=False),  # the deadline kind of a recorded breach, else ""
    Column("event", Text, nullable=False),
    Column("decision_id", String(36), ForeignKey("decisions.decision_id"), nullable=False),
    Column("recorded_at", String(40), nullable=False),
    UniqueConstraint("complaint_id", "type", "at", "subject", name="uq_complaint_events_idempotency"),
)
Index("ix_complaint_events_complaint", complaint_events.c.complaint_id, complaint_events.c.id)

# The work queue: the deadlines on the clock of each complaint's latest decision, replaced in the
# transaction that appends a decision, so the due list is an index range scan, never a scan of
# decisions. Times are UTC text; ``due_local`` is the due time as the decision shows it (+08:00),
# whose first 10 or 13 characters are the day or hour the summary counts by.
deadline_index = Table(
    "deadline_index",
    metadata,
    Column("complaint_id", String(128), primary_key=True),
    Column("kind", String(64), primary_key=True),
    Column("decision_id", String(36), nullable=False),
    Column("status", String(16), nullable=False),  # scheduled | overdue | breached (as of that decision)
    Column("due_at", String(40), nullable=False),
    Column("due_local", String(40), nullable=False),
    Column("due_soon_at", String(40), nullable=True),
    Column("team", String(64), nullable=True),
    Column("level", String(64), nullable=True),
    Column("rule", String(128), nullable=False),
    Column("record_breach", Integer, nullable=False),  # 1: the escalation run records its breach
    Column("breach_recorded", Integer, nullable=False),  # 1: that breach is recorded already
    Column("warned", Integer, nullable=False, default=0),  # 1: the due_soon warning was given for this due time
)
# The due list reads in due order (ix_deadline_index_due); its totals and filters count inside an
# index, never touching the table: (filter, due_at, due_soon_at) covers open, due_soon and breached.
Index("ix_deadline_index_due", deadline_index.c.due_at, deadline_index.c.complaint_id, deadline_index.c.kind)
Index("ix_deadline_index_due_soon", deadline_index.c.due_at, deadline_index.c.due_soon_at)
Index("ix_deadline_index_team", deadline_index.c.team, deadline_index.c.due_at, deadline_index.c.due_soon_at)
Index("ix_deadline_index_level", deadline_index.c.level, deadline_index.c.due_at, deadline_index.c.due_soon_at)
Index("ix_deadline_index_kind", deadline_index.c.kind, deadline_index.c.due_at, deadline_index.c.due_soon_at)
Index("ix_deadline_index_warn", deadline_index.c.warned, deadline_index.c.due_soon_at)
Index(
    "ix_deadline_index_breach",
    deadline_index.c.record_breach,
    deadline_index.c.breach_recorded,
    deadline_index.c.due_at,
)
