"""Production without an active API key is refused in one line, exit status 1, with nothing written.

Before, each gunicorn worker refused on its own (gunicorn then exited 3), after the store had already
adopted the policy in force as its baseline. The master now refuses before any worker is forked, and
create_app before it writes anything (for whoever builds the app without gunicorn)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, inspect, select

from api.settings import NO_ACTIVE_KEY, ConfigError
from app import create_app
from store import DecisionStore
from store.tables import metadata
from tests.helpers.api_samples import POLICY
from tests.helpers.server_process import Server


def _rows(url: str) -> dict[str, int]:
    """Every table's row count (an absent table is -1)."""
    store = DecisionStore(url)
    try:
        with store.engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
            return {
                name: conn.execute(select(func.count()).select_from(table)).scalar_one() if name in present else -1
                for name, table in metadata.tables.items()
            }
    finally:
        store.dispose()


def _keyless_store(url: str) -> None:
    store = DecisionStore(url)
    store.init_schema()
    key, _token = store.create_key("old", ["decider"])
    store.revoke_key(key.key_id)
    store.dispose()


@pytest.mark.parametrize("existing", [False, True], ids=["new store", "store with only a revoked key"])
def test_gunicorn_refuses_in_one_line_with_exit_1_and_writes_nothing(tmp_path, existing):
    url = f"sqlite:///{tmp_path / 'decisions.db'}"
    if existing:
        _keyless_store(url)
    before = _rows(url)
    server = Server(tmp_path, {"DATABASE_URL": url, "COMPLAINTS_ENV": "production", "COMPLAINTS_POLICY": str(POLICY)})
    with pytest.raises(RuntimeError, match="gunicorn exited with 1"):
        server.start(timeout=60)
    log = server.log()
    assert "Traceback" not in log and "adopted" not in log, log
    refusing = [line for line in log.splitlines() if "refusing to start" in line]
    assert len(refusing) == 1, log
    assert refusing[0].endswith(f"refusing to start: {NO_ACTIVE_KEY}"), refusing[0]
    assert _rows(url) == before


@pytest.mark.parametrize("existing", [False, True], ids=["new store", "store with only a revoked key"])
def test_create_app_refuses_before_writing(tmp_path, existing):
    url = f"sqlite:///{tmp_path / 'decisions.db'}"
    if existing:
        _keyless_store(url)
    before = _rows(url)
    with pytest.raises(ConfigError, match="no active API key"):
        create_app({"DATABASE_URL": url, "COMPLAINTS_ENV": "production", "COMPLAINTS_POLICY": str(POLICY)})
    assert _rows(url) == before
