"""The PostgreSQL server of a test session: started from Debian's binaries; with CI=true never skipped."""

from __future__ import annotations

import os

import pytest

from devtools.postgres_server import PostgresServer, pg_bin

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def start_postgres() -> PostgresServer:
    bindir = pg_bin()
    if bindir is None or not (bindir / "pg_ctl").exists():
        message = "PostgreSQL binaries not found (run `make postgres`)"
        if IN_CI:
            pytest.fail(f"{message}; CI=true never skips the PostgreSQL tests")
        pytest.skip(message)
    server = PostgresServer(bindir)
    try:
        server.init()
        server.start()
    except Exception as exc:
        server.cleanup()
        if IN_CI:
            pytest.fail(f"PostgreSQL could not start: {exc}")
        raise
    return server
