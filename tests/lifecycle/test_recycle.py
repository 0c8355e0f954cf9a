"""A gunicorn worker that has compiled too many policies is recycled, and serving goes on."""

from __future__ import annotations

import time

import requests

from tests.helpers.lifecycle_samples import variant
from tests.helpers.server_process import Server


def test_worker_recycles_after_too_many_rulesets(tmp_path):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}",
        "COMPLAINTS_AUTH": "off",
        "COMPLAINTS_MAX_RULESETS": "4",
        "GUNICORN_THREADS": "2",
    }
    server = Server(tmp_path, env, workers=1).start()
    try:
        (first,) = server.worker_pids()
        for n, limit in enumerate(("300.00", "400.00")):  # each candidate compiles 2 more native rulesets
            body = {"text": variant(f"2026.{n + 5}", frontline_refund=limit), "since": "2030-01-01T00:00:00+08:00"}
            answer = requests.post(server.base + "/v1/policies/impact", json=body, timeout=30)
            assert answer.status_code == 200, answer.text
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            pids = server.worker_pids()
            if pids and pids != [first]:
                break
            time.sleep(0.2)
        assert pids and pids != [first], server.log()
        assert "recycling it" in server.log()
        assert requests.get(server.base + "/readyz", timeout=30).status_code == 200
    finally:
        server.stop()
