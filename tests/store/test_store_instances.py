"""Two server instances (gunicorn, 2 workers each) on one PostgreSQL: one chain, one decision per request."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import requests

from store import DecisionStore
from tests.helpers.server_process import Server
from tests.helpers.store_samples import make_complaint


def test_two_instances_share_one_postgres(postgres, tmp_path, decider):
    url = postgres.create_database()
    store = DecisionStore(url)
    _, token = store.create_key("instances test", ["decider"])
    env = {"DATABASE_URL": url, "COMPLAINTS_ENV": "production"}
    instances = [Server(tmp_path / f"i{n}", env) for n in range(2)]
    for n, server in enumerate(instances):
        (tmp_path / f"i{n}").mkdir()
        server.start()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def send(args):
        i, body = args
        base = instances[i % 2].base
        return requests.post(f"{base}/v1/decisions", data=json.dumps(body), headers=headers, timeout=30)

    try:
        bodies = [make_complaint(i, "P") for i in range(80)]
        same = make_complaint(5000, "P-SAME")
        work = list(enumerate(bodies)) + [(i, same) for i in range(8)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            responses = list(pool.map(send, work))
    finally:
        for server in instances:
            server.stop()
    assert [r.status_code for r in responses[:80]] == [201] * 80
    racing = responses[80:]
    assert sorted(r.status_code for r in racing) == [200] * 7 + [201]
    assert len({r.json()["decision_id"] for r in racing}) == 1
    report = store.verify_chain()
    assert report.ok, report.problems
    assert report.count == 81
    store.dispose()
