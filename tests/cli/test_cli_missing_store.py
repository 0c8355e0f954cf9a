"""Commands pointed at no store (a missing SQLite file, a database without our tables, a server that does
not answer) say so in one line naming the URL and exit 2, creating nothing; only `store init` creates."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect

from cli.main import cli
from devtools.postgres_server import free_port
from store.db import normalize_url
from tests.helpers.audit_samples import POLICY

RELEASE_1_1_0 = Path(__file__).resolve().parents[1] / "fixtures" / "release_1_1_0"

# Every command that reads (or changes) an existing store; none may create one.
READ_COMMANDS = {
    "replay": ["replay", "--since", "2026-01-01"],
    "store verify": ["store", "verify"],
    "export": ["export", "--since", "2026-01-01", "--until", "2026-02-01"],
    "export-policy": ["export-policy", "0" * 64],
    "purge": ["purge", "--older-than-years", "3", "--dry-run"],
    "impact": ["impact", str(POLICY), "--since", "2026-01-01"],
    "versions": ["versions"],
    "keys list": ["keys", "list"],
    "users list": ["users", "list"],
    "users create": ["users", "create", "alice", "--role", "auditor"],
    "export-checkpoints": ["export-checkpoints"],
    "audit bundle": ["audit", "bundle", "--since", "2026-01-01", "/nonexistent-folder/never.bundle"],
    "webhooks list": ["webhooks", "list"],
    "webhooks retry": ["webhooks", "retry", "--all-dead"],
}


def _files(root) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


def _run(args: list[str], url: str | None = None):
    extra = ["--database-url", url] if url is not None else []
    return CliRunner().invoke(cli, [*args, *extra])


@pytest.mark.parametrize("name", sorted(READ_COMMANDS))
def test_a_missing_sqlite_file_is_named_and_nothing_is_created(name, tmp_path):
    url = f"sqlite:///{tmp_path / 'elsewhere' / 'complaints.db'}"
    result = _run(READ_COMMANDS[name], url)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and url in lines[0] and "does not exist" in lines[0], result.stderr
    assert result.stdout == ""
    assert _files(tmp_path) == []


@pytest.mark.parametrize("name", ["store verify", "replay", "export"])
def test_the_default_store_from_another_folder_is_not_created(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = _run(READ_COMMANDS[name])
    assert result.exit_code == 2, result.output
    assert f"sqlite:///var/complaints.db ({tmp_path / 'var' / 'complaints.db'})" in result.stderr
    assert _files(tmp_path) == []


def test_a_sqlite_file_without_our_tables_gets_none(tmp_path):
    path = tmp_path / "other.db"
    path.write_bytes(b"")
    url = f"sqlite:///{path}"
    for args in READ_COMMANDS.values():
        result = _run(args, url)
        assert result.exit_code == 2 and "none of its tables" in result.stderr, (args, result.output)
    engine = create_engine(url)
    assert inspect(engine).get_table_names() == []
    engine.dispose()


def test_store_init_creates_and_then_the_commands_work(tmp_path):
    url = f"sqlite:///{tmp_path / 'new' / 'complaints.db'}"
    made = _run(["store", "init"], url)
    assert made.exit_code == 0 and "decision store ready" in made.output
    assert _run(READ_COMMANDS["versions"], url).exit_code == 0
    verified = _run(READ_COMMANDS["store verify"], url)
    assert verified.exit_code == 0 and "intact" in verified.output, verified.output


@pytest.mark.parametrize("name", sorted(READ_COMMANDS))
def test_an_unreachable_database_is_named_with_its_password_hidden(name):
    url = f"postgresql://auditor:s3cret@127.0.0.1:{free_port()}/complaints"
    result = _run(READ_COMMANDS[name], url)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "unreachable at postgresql://auditor:***@127.0.0.1" in lines[0] and "s3cret" not in lines[0]


def test_a_postgresql_database_without_our_tables_gets_none(postgres):
    url = postgres.create_database()
    for name in ("store verify", "replay", "keys list", "versions"):
        result = _run(READ_COMMANDS[name], url)
        assert result.exit_code == 2 and "none of its tables" in result.stderr and url in result.stderr, result.output
    engine = create_engine(normalize_url(url))
    assert inspect(engine).get_table_names() == []
    engine.dispose()


@pytest.mark.parametrize("name", sorted(READ_COMMANDS))
def test_a_store_of_release_1_1_0_is_told_to_run_store_upgrade_and_left_as_it_is(name, tmp_path):
    path = tmp_path / "old.sqlite"
    shutil.copyfile(RELEASE_1_1_0 / "store.sqlite", path)
    before = path.read_bytes()
    url = f"sqlite:///{path}"
    result = _run(READ_COMMANDS[name], url)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and url in lines[0], result.stderr
    assert "needs an upgrade" in lines[0] and "`complaints store upgrade`" in lines[0]
    assert path.read_bytes() == before  # nothing written, not even the version table
    assert not _run(["store", "init"], url).exit_code == 0  # init does not upgrade behind the operator's back


def test_a_url_that_is_not_one_is_refused(tmp_path):
    result = _run(READ_COMMANDS["versions"], "mysql://somewhere/db")
    assert result.exit_code == 2 and "mysql://somewhere/db" in result.stderr
    assert os.listdir(tmp_path) == []
