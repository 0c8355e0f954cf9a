"""Alembic's environment for the decision store (run by ``store/migrations/__init__.py`` and ``alembic``).

The store's code always hands over its own connection (``config.attributes["connection"]``), inside
its write lock; the ``alembic`` command line (CONTRIBUTING.md, "Change the store's schema") gives a
URL in ``alembic.ini`` or ``-x url=...`` instead. SQLite cannot alter most of a table in place, so
revisions run in batch mode there (``with op.batch_alter_table(...)``).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from store.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("give the store: alembic -x url=sqlite:///path/to/complaints.db ...")
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()
