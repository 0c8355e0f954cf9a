"""Schema migrations: the revisions give exactly store/tables.py, and a store made by release 1.1.0, with
data in it, upgrades keeping every row, verifies and serves. On SQLite and on PostgreSQL.

The 1.1.0 stores are made by the 1.1.0 code itself (tests/fixtures/release_1_1_0/make_stores.py).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import create_engine, func, inspect, select, text

from app import create_app
from cli.main import cli
from store import DecisionStore, StoreNeedsUpgrade
from store.db import normalize_url
from store.schema import head_revision, upgrade
from store.tables import metadata
from tests.helpers.samples import make_complaint

RELEASE = Path(__file__).resolve().parents[1] / "fixtures" / "release_1_1_0"
POLICY = Path(__file__).resolve().parents[2] / "policies.yaml"


def _run(*args: str):
    return CliRunner().invoke(cli, list(args))


def _counts(url: str) -> dict[str, int]:
    """Rows in each of our tables the database has (a later release's new tables only after the upgrade)."""
    engine = create_engine(normalize_url(url))
    with engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        counts = {
            name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in metadata.tables.items()
            if name in present
        }
    engine.dispose()
    return counts


def _differences(url: str) -> list:
    engine = create_engine(normalize_url(url))
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        found = compare_metadata(context, metadata)
    engine.dispose()
    return found


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return request.getfixturevalue("postgres").create_database()


def test_the_revisions_give_exactly_the_tables_of_store_tables_py(empty_url):
    """Running every revision on an empty database leaves nothing for autogenerate to add: a change to
    store/tables.py without a revision fails here (CONTRIBUTING.md, "Change the store's schema")."""
    engine = create_engine(normalize_url(empty_url))
    with engine.begin() as conn:
        upgrade(conn)
    engine.dispose()
    assert _differences(empty_url) == []


def test_a_new_store_is_made_at_the_head_revision_and_equals_the_migrated_one(empty_url):
    store = DecisionStore(empty_url)
    store.init_schema()
    state = store.schema_state()
    assert state.current == head_revision() and state.ready
    assert state.ours == frozenset(metadata.tables)
    store.dispose()
    assert _differences(empty_url) == []


def test_a_table_added_without_a_revision_is_found(tmp_path):
    """The comparison above can fail: a column the revisions lack is reported."""
    from sqlalchemy import Column, MetaData, String, Table

    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        upgrade(conn)
    changed = MetaData()
    for table in metadata.tables.values():
        table.to_metadata(changed)
    Table("webhook_outbox", changed, Column("id", String(36), primary_key=True))
    with engine.connect() as conn:
        found = compare_metadata(MigrationContext.configure(conn), changed)
    engine.dispose()
    assert [entry[0] for entry in found] == ["add_table"] and found[0][1].name == "webhook_outbox"


def _sqlite_release_store(tmp_path) -> str:
    path = tmp_path / "release-1.1.0.sqlite"
    shutil.copyfile(RELEASE / "store.sqlite", path)
    return f"sqlite:///{path}"


def _postgres_release_store(postgres) -> str:
    """A fresh database loaded from the pg_dump of the store 1.1.0 made on PostgreSQL."""
    url = postgres.create_database()
    dump = (RELEASE / "store.postgresql.sql").read_text(encoding="utf-8")
    dump = "\n".join(line for line in dump.splitlines() if not line.startswith("\\"))  # psql meta-commands
    engine = create_engine(normalize_url(url))
    with engine.connect() as conn:
        conn.connection.dbapi_connection.execute(dump)  # type: ignore[union-attr]  # many statements, no parameters
        conn.connection.dbapi_connection.commit()  # type: ignore[union-attr]
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def release_store(request, tmp_path) -> tuple[str, Path, dict]:
    if request.param == "sqlite":
        return (
            _sqlite_release_store(tmp_path),
            RELEASE / "signing.pem.pub",
            json.loads((RELEASE / "summary.json").read_text()),
        )
    url = _postgres_release_store(request.getfixturevalue("postgres"))
    return url, RELEASE / "pg-signing.pem.pub", json.loads((RELEASE / "pg-summary.json").read_text())


def test_a_store_of_release_1_1_0_is_refused_by_the_service_until_upgraded(release_store):
    url, _, _ = release_store
    before = _counts(url)
    with pytest.raises(StoreNeedsUpgrade, match=r"needs an upgrade.*`complaints store upgrade`"):
        create_app({"DATABASE_URL": url, "COMPLAINTS_POLICY": str(POLICY)})
    written = _run("keys", "create", "--name", "x", "--role", "auditor", "--database-url", url)
    assert written.exit_code == 2 and "complaints store upgrade" in written.stderr
    assert _counts(url) == before  # nothing written by either


def test_a_store_of_release_1_1_0_upgrades_keeping_every_row_and_verifies(release_store):
    url, public_key, summary = release_store
    before = _counts(url)
    assert before["decisions"] == summary["decisions"] == 10
    assert before["signed_statements"] == 2 and before["policy_events"] == 1 and before["api_keys"] == 2

    upgraded = _run("store", "upgrade", "--database-url", url)
    assert upgraded.exit_code == 0, upgraded.output
    assert (
        f"upgraded from no schema revision (release 1.1.0 or earlier) to revision {head_revision()}" in upgraded.stdout
    )
    again = _run("store", "upgrade", "--database-url", url)
    assert again.exit_code == 0 and "is up to date" in again.stdout

    after = _counts(url)
    assert {name: after[name] for name in before} == before  # every row kept
    assert set(after) == set(metadata.tables) and not any(after[name] for name in set(after) - set(before))
    assert _differences(url) == []
    verified = _run("store", "verify", "--public-key", str(public_key), "--database-url", url)
    assert verified.exit_code == 0, verified.output
    assert "10 decisions and 1 policy text from genesis, chain head 10: intact" in verified.stdout
    assert "2 checkpoints match the chain" in verified.stdout
    assert "1 policy register events: intact" in verified.stdout

    # The service starts on it and serves the old decisions; a replay of each names the engine that made it
    # (1.1.0): this release's engine vouches only for its own bytes (tests/golden).
    client = create_app({"DATABASE_URL": url, "COMPLAINTS_POLICY": str(POLICY)}).test_client()
    for decision_id in summary["decision_ids"]:
        stored = client.get(f"/v1/decisions/{decision_id[:8]}")
        assert stored.status_code == 200 and stored.get_json()["decision_id"] == decision_id
        assert stored.get_json()["integrity"] == "ok"
        replayed = client.post(f"/v1/decisions/{decision_id}/replay").get_json()
        assert replayed["result"] == "error" and replayed["differences"] == [], replayed
        assert "made by engine 1.1.0" in replayed["error"] and "replay it with release 1.1.0" in replayed["error"]
    # And records new ones after them, on the same chain.
    assert client.post("/v1/decisions", json=make_complaint(1, "C-after-upgrade")).status_code == 201
    assert _run("store", "verify", "--database-url", url).exit_code == 0


def test_a_store_upgraded_by_a_newer_release_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'n.db'}"
    store = DecisionStore(url)
    store.init_schema()
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed'"))
    store.dispose()
    result = _run("store", "verify", "--database-url", url)
    assert result.exit_code == 2 and "revision f00dfeed, which this release" in result.stderr
    upgraded = _run("store", "upgrade", "--database-url", url)
    assert upgraded.exit_code == 2 and "newer release" in upgraded.stderr
    with pytest.raises(StoreNeedsUpgrade, match="newer release"):
        DecisionStore(url).init_schema()


def test_store_upgrade_never_makes_a_store_where_there_is_none(tmp_path):
    """A mistyped URL is not upgraded into a new empty store: that is `store init`'s job."""
    (tmp_path / "e.db").write_bytes(b"")
    url = f"sqlite:///{tmp_path / 'e.db'}"
    result = _run("store", "upgrade", "--database-url", url)
    assert result.exit_code == 2 and "none of its tables" in result.stderr and "complaints store init" in result.stderr
    engine = create_engine(url)
    assert inspect(engine).get_table_names() == []
    engine.dispose()
    assert _run("store", "upgrade", "--database-url", f"sqlite:///{tmp_path / 'missing.db'}").exit_code == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.db"]


def test_the_first_revision_is_release_1_1_0s_schema(tmp_path):
    """The first revision alone gives the tables 1.1.0 made (the fixture's), no more and no fewer."""
    from alembic import command

    from store.schema import _config

    url = f"sqlite:///{tmp_path / 'first.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        command.upgrade(_config(conn), "0001")
        first = set(inspect(conn).get_table_names()) - {"alembic_version"}
    release = create_engine(_sqlite_release_store(tmp_path))
    with release.connect() as conn:
        made_by_release = set(inspect(conn).get_table_names())
    engine.dispose()
    release.dispose()
    assert first == made_by_release


def test_a_store_of_release_1_1_0_that_never_governed_a_change_gets_the_register(tmp_path):
    """1.1.0 made the policy register's tables on first use (and before 1.1, the purge log): a store that
    never needed them lacks them, and the upgrade adds them, empty, with the register's head row."""
    url = _sqlite_release_store(tmp_path)
    engine = create_engine(url)
    with engine.begin() as conn:
        for table in ("policy_events", "policy_event_head", "decision_purges"):
            conn.exec_driver_sql(f"DROP TABLE {table}")
    engine.dispose()
    before = _counts(url)
    assert _run("store", "upgrade", "--database-url", url).exit_code == 0
    after = _counts(url)
    assert {name: after[name] for name in before} == before
    assert (after["policy_events"], after["policy_event_head"], after["decision_purges"]) == (0, 1, 0)
    assert _differences(url) == []
    verified = _run("store", "verify", "--public-key", str(RELEASE / "signing.pem.pub"), "--database-url", url)
    assert verified.exit_code == 0 and "0 policy register events: intact" in verified.stdout, verified.output
