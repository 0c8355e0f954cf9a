"""The hostile-input gallery, against the production server (gunicorn) over loopback.

Every hostile request gets a 4xx problem document naming what is wrong (never a 500), a refused
request stores nothing, and a stored request body is always exactly the bytes that were decided,
however the body was framed (Content-Length or chunked).
"""

from __future__ import annotations

import json
import socket

import pytest
import requests

from api.body import MAX_JSON_DEPTH
from store import DecisionStore
from tests.helpers.api_samples import make_complaint
from tests.helpers.server_process import Server

JSON = {"Content-Type": "application/json"}
POST_ENDPOINTS = [
    "/v1/decisions",
    "/v1/decisions/batch",
    "/v1/policies",
    "/v1/policies/impact",
    "/v1/decisions/00000000-0000-0000-0000-000000000000/replay",
    "/v1/replays",
]
MAX_BODY = 1_048_576  # COMPLAINTS_MAX_BODY_BYTES's default


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("hostile")
    db_url = f"sqlite:///{workdir / 'decisions.db'}"
    server = Server(workdir, {"DATABASE_URL": db_url, "COMPLAINTS_AUTH": "off"}).start()
    server.db_url = db_url
    yield server
    server.stop()


def _stored_count(server) -> int:
    store = DecisionStore(server.db_url)
    try:
        return store.count()
    finally:
        store.dispose()


def _problem(answer: requests.Response, status: int, code: str) -> dict:
    assert answer.status_code == status, (answer.status_code, answer.text[:500])
    assert answer.headers["Content-Type"].startswith("application/problem+json"), answer.headers
    problem = answer.json()
    assert problem["code"] == code, problem
    return problem


def _fields(problem: dict) -> list[str]:
    return [entry["field"] for entry in problem.get("errors", [])]


@pytest.mark.parametrize("path", POST_ENDPOINTS)
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 600, 5000])
def test_deep_nesting_is_refused_with_the_depth_limit(server, path, depth):
    body = '{"a":' * depth + "1" + "}" * depth
    problem = _problem(requests.post(server.base + path, data=body, headers=JSON, timeout=30), 400, "malformed-json")
    assert _fields(problem) == ["body"]
    assert f"deeper than {MAX_JSON_DEPTH} levels" in problem["detail"]


def test_nesting_up_to_the_limit_is_read(server):
    body = '{"complaints": [' + '{"a":' * (MAX_JSON_DEPTH - 2) + "1" + "}" * (MAX_JSON_DEPTH - 2) + "]}"
    answer = requests.post(server.base + "/v1/decisions/batch", data=body, headers=JSON, timeout=30)
    assert answer.status_code == 200, answer.text[:300]  # read, then the item is refused as a complaint
    assert answer.json()["results"][0]["status"] == 422


@pytest.mark.parametrize("path", POST_ENDPOINTS)
def test_a_lone_surrogate_is_refused_naming_the_field(server, path):
    if path == "/v1/decisions":
        complaint = make_complaint(1, "SUR")
        body = json.dumps(complaint).replace(f'"{complaint["complaint_id"]}"', '"SUR-\\ud800"', 1)
        field = "complaint_id"
    elif path == "/v1/decisions/batch":
        body, field = '{"complaints": [{"complaint_id": "x\\udfff"}]}', "complaints.0.complaint_id"
    else:
        body, field = '{"text": "a\\ud800b", "policy": "stored"}', "text"
    before = _stored_count(server)
    problem = _problem(requests.post(server.base + path, data=body, headers=JSON, timeout=30), 400, "malformed-json")
    assert _fields(problem) == [field]
    assert "surrogate" in problem["errors"][0]["messages"][0]
    assert _stored_count(server) == before


def test_a_surrogate_pair_is_a_character(server):
    complaint = make_complaint(2, "PAIR")
    body = json.dumps(complaint).replace(f'"{complaint["complaint_id"]}"', '"PAIR-\\ud83d\\ude00"', 1)
    answer = requests.post(server.base + "/v1/decisions", data=body, headers=JSON, timeout=30)
    assert answer.status_code == 201, answer.text[:300]
    assert answer.json()["complaint_id"] == "PAIR-\U0001f600"


@pytest.mark.parametrize("page", ["1000001", str(10**18), str(10**30)])
def test_huge_page_numbers_are_refused(server, page):
    answer = requests.get(f"{server.base}/v1/complaints/C-1/decisions", params={"page": page}, timeout=30)
    assert _fields(_problem(answer, 422, "invalid-parameters")) == ["page"]


@pytest.mark.parametrize(
    "name, value",
    [("since", "9999-12-31T23:59:59-23:59"), ("until", "0001-01-01T00:00:00+23:59"), ("since", "0001-01-01")],
)
def test_times_outside_the_utc_calendar_are_refused(server, name, value):
    params = {"since": "2026-01-01", "until": "2026-02-01", name: value}
    answer = requests.get(server.base + "/v1/exports/decisions", params=params, timeout=30)
    assert _fields(_problem(answer, 422, "invalid-parameters")) == [name]
    body = {"since": "2026-01-01T00:00:00+08:00", name: value}
    answer = requests.post(server.base + "/v1/replays", json=body, timeout=30)
    assert _fields(_problem(answer, 422, "invalid-parameters")) == [name]
    impact = {"text": "x", **body}
    answer = requests.post(server.base + "/v1/policies/impact", json=impact, timeout=30)
    assert name in _fields(_problem(answer, 422, "invalid-parameters"))


def _chunks(data: bytes, size: int = 65_536):
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_a_chunked_body_over_the_limit_is_refused_not_cut(server):
    complaint = json.dumps(make_complaint(3, "BIG")).encode()
    body = complaint + b" " * (MAX_BODY + 100_000 - len(complaint))  # valid JSON, then spaces past the limit
    before = _stored_count(server)
    answer = requests.post(server.base + "/v1/decisions", data=_chunks(body), headers=JSON, timeout=60)
    assert _fields(_problem(answer, 413, "body-too-large")) == ["body"]
    assert _stored_count(server) == before
    # One byte over the limit, the same.
    body = complaint + b" " * (MAX_BODY + 1 - len(complaint))
    answer = requests.post(server.base + "/v1/decisions", data=_chunks(body), headers=JSON, timeout=60)
    _problem(answer, 413, "body-too-large")
    assert _stored_count(server) == before


def test_a_chunked_body_at_the_limit_is_stored_byte_for_byte(server):
    complaint = json.dumps(make_complaint(4, "EXACT")).encode()
    body = complaint + b" " * (MAX_BODY - len(complaint))
    answer = requests.post(server.base + "/v1/decisions", data=_chunks(body), headers=JSON, timeout=60)
    assert answer.status_code == 201, answer.text[:300]
    store = DecisionStore(server.db_url)
    try:
        stored = store.get(answer.json()["decision_id"])
    finally:
        store.dispose()
    assert stored.request_body.encode() == body


def _raw(server, request: bytes) -> tuple[int, dict, bytes]:
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(request)
        received = b""
        while True:
            part = sock.recv(65_536)
            if not part:
                break
            received += part
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


@pytest.mark.parametrize(
    "chunked",
    [b"zz\r\n{}\r\n0\r\n\r\n", b"2\r\n{}XX0\r\n\r\n", b"-1\r\n{}\r\n0\r\n\r\n", b"0x2\r\n{}\r\n0\r\n\r\n"],
)
def test_a_malformed_chunk_is_a_bad_request(server, chunked):
    request = (
        b"POST /v1/decisions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked
    )
    status, headers, body = _raw(server, request)
    assert status == 400, (status, body[:300])
    if headers.get("content-type", "").startswith("application/problem+json"):
        assert json.loads(body)["code"] == "bad-request"
    else:  # refused by gunicorn's parser before the app saw it (docs: gunicorn's own answers)
        assert headers.get("content-type", "").startswith("text/html"), headers
