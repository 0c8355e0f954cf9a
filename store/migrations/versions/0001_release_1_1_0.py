"""The schema of release 1.1.0, the last made without migrations (``metadata.create_all``).

A store made by 1.1.0 has most or all of these tables already (the policy register's two, and
before 1.1 the purge log, were created on first use): this revision creates only those missing,
and the head rows of both hash chains, so that upgrading such a store keeps every row. A new
database gets the whole schema.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64  # store.chain.GENESIS, frozen here as it was in 1.1.0


def upgrade() -> None:
    """Every table of 1.1.0 that is missing; the ones there are left as they are."""
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("revoked_at", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("key_id"),
        sa.UniqueConstraint("key_hash"),
        if_not_exists=True,
    )
    op.create_table(
        "chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_table(
        "decision_purges",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("purged_at", sa.String(length=40), nullable=False),
        sa.Column("cut", sa.String(length=40), nullable=False),
        sa.Column("older_than_years", sa.Integer(), nullable=False),
        sa.Column("retention_basis", sa.String(length=200), nullable=False),
        sa.Column("count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("first_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("last_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("first_decision_id", sa.String(length=36), nullable=False),
        sa.Column("last_decision_id", sa.String(length=36), nullable=False),
        sa.Column("cut_hash", sa.String(length=64), nullable=False),
        sa.Column("purged_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_table(
        "policies",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("announced_at", sa.String(length=40), nullable=False),
        sa.Column("effective_from", sa.String(length=40), nullable=False),
        sa.Column("stored_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
        if_not_exists=True,
    )
    op.create_table(
        "policy_event_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_table(
        "policy_events",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("decision_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("decision_hash", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("chain_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("chain_hash"),
        if_not_exists=True,
    )
    op.create_table(
        "signed_statements",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("chain_hash", sa.String(length=64), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "seq", name="uq_signed_statements_kind_seq"),
        if_not_exists=True,
    )
    op.create_table(
        "signing_keys",
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("first_used_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("key_id"),
        if_not_exists=True,
    )
    op.create_table(
        "decisions",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False),
        sa.Column("decision_id", sa.String(length=36), nullable=False),
        sa.Column("complaint_id", sa.String(length=128), nullable=False),
        sa.Column("request_body", sa.Text(), nullable=False),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("fired_rules", sa.Text(), nullable=False),
        sa.Column("policy_digest", sa.String(length=64), nullable=False),
        sa.Column("policy_version", sa.String(length=64), nullable=False),
        sa.Column("engine_version", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("previous_decision_id", sa.String(length=36), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("chain_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_digest"],
            ["policies.digest"],
        ),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("chain_hash"),
        sa.UniqueConstraint("complaint_id", "request_digest", "policy_digest", name="uq_decisions_idempotency"),
        sa.UniqueConstraint("decision_id"),
        if_not_exists=True,
    )
    op.create_index("ix_decisions_complaint", "decisions", ["complaint_id", "seq"], unique=False, if_not_exists=True)

    op.create_table(
        "policy_sources",
        sa.Column("source", sa.String(length=1000), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("loaded_at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["digest"],
            ["policies.digest"],
        ),
        sa.PrimaryKeyConstraint("source"),
        if_not_exists=True,
    )
    op.create_table(
        "policy_text_digests",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["digest"],
            ["policies.digest"],
        ),
        sa.PrimaryKeyConstraint("digest"),
        if_not_exists=True,
    )
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("published_at", sa.String(length=40), nullable=False),
        sa.Column("published_by", sa.String(length=200), nullable=False),
        sa.Column("acknowledged", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["digest"],
            ["policies.digest"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest"),
        if_not_exists=True,
    )

    _head_row("chain_head")  # the decision chain's head, at GENESIS until the first decision
    _head_row("policy_event_head")  # the policy register's


def _head_row(table: str) -> None:
    rows = sa.table(table, sa.column("id"), sa.column("seq"), sa.column("hash"))
    connection = op.get_bind()
    if connection.execute(sa.select(rows.c.id).where(rows.c.id == 1)).first() is None:
        connection.execute(sa.insert(rows).values(id=1, seq=0, hash=GENESIS))


def downgrade() -> None:
    raise NotImplementedError("no downgrade below the first revision: it would drop the decision log")
