"""Store fixtures: every store test runs on SQLite and on a real PostgreSQL server.

The PostgreSQL server is started once per session from the Debian binaries
(initdb into a temp dir, as user ``postgres`` when we are root; pg_ctl on a
free loopback port with its unix socket in the temp dir). With CI=true the
PostgreSQL tests never skip: a server that cannot start fails them. Locally
they skip when the binaries are missing (``make postgres`` installs them).
"""

from __future__ import annotations

import pytest
from pg_server import start_postgres
from store_samples import POLICY

from engine.deciders import decider_for_file
from engine.store import DecisionService, DecisionStore


@pytest.fixture(scope="session")
def postgres():
    server = start_postgres()
    yield server
    server.cleanup()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'decisions.db'}"
    return request.getfixturevalue("postgres").create_database()


@pytest.fixture
def store(store_url):
    store = DecisionStore(store_url)
    store.init_schema()
    yield store
    store.dispose()


@pytest.fixture(scope="session")
def decider():
    return decider_for_file(POLICY)


@pytest.fixture
def service(decider, store) -> DecisionService:
    return DecisionService(decider, store)
