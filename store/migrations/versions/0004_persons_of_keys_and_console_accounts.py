"""Persons of keys and console accounts (issue 25, four eyes per person): a nullable ``person`` column on
``api_keys`` and ``staff_accounts``. Keys and accounts made before it are each their own person, as before.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 18:37:34.602536
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("person", sa.String(length=64), nullable=True))

    with op.batch_alter_table("staff_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("person", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff_accounts", schema=None) as batch_op:
        batch_op.drop_column("person")

    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("person")
