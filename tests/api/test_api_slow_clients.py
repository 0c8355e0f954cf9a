"""Slow clients against the real server (gunicorn, 2 workers, over loopback).

Sixteen connections that send one header line a second, and a request that announces more body
than it sends, must not keep ``/healthz`` from being answered nor hold a thread past the read
deadline (api/slow_clients.py, COMPLAINTS_CLIENT_READ_TIMEOUT_SECONDS).
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
import requests

from tests.helpers.server_process import Server

READ_TIMEOUT = 1.0  # COMPLAINTS_CLIENT_READ_TIMEOUT_SECONDS for these tests
SLOW_CLIENTS = 16
SLOW_FOR_AT_MOST = 30.0  # a slow client gives up after this, so nothing outlives the test


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("slow")
    env = {
        "DATABASE_URL": f"sqlite:///{workdir / 'decisions.db'}",
        "COMPLAINTS_AUTH": "off",
        "COMPLAINTS_CLIENT_READ_TIMEOUT_SECONDS": str(READ_TIMEOUT),
    }
    server = Server(workdir, env).start()
    yield server
    server.stop()


def _slow_client(port: int, stop: threading.Event) -> None:
    """Send a request one header line a second until the server closes, or stop is set."""
    deadline = time.monotonic() + SLOW_FOR_AT_MOST
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        try:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            line = 0
            while not stop.wait(1.0) and time.monotonic() < deadline:
                line += 1
                sock.sendall(f"X-Slow-{line}: {line}\r\n".encode())
        except OSError:  # the server closed the connection: what it should do
            return


def test_healthz_answered_under_sixteen_slow_clients(server):
    stop = threading.Event()
    clients = [threading.Thread(target=_slow_client, args=(server.port, stop)) for _ in range(SLOW_CLIENTS)]
    try:
        for client in clients:
            client.start()
        time.sleep(0.5)  # every slow client has sent its first lines and holds a thread
        for _ in range(5):
            started = time.monotonic()
            response = requests.get(server.base + "/healthz", timeout=6)
            assert response.status_code == 200
            assert time.monotonic() - started < 5
            time.sleep(0.5)
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=10)


def test_a_body_shorter_than_announced_is_closed_within_the_read_timeout(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=READ_TIMEOUT + 10) as sock:
        sock.sendall(
            b"POST /v1/decisions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{}"
        )
        started = time.monotonic()
        try:
            while sock.recv(65536):  # an answer, then the close; or the close alone
                pass
        except TimeoutError:
            pytest.fail("the server held the connection well past the read timeout")
        except ConnectionResetError:
            pass
        assert time.monotonic() - started < READ_TIMEOUT + 5


def test_a_bad_read_timeout_is_refused_at_start(tmp_path):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'decisions.db'}",
        "COMPLAINTS_AUTH": "off",
        "COMPLAINTS_CLIENT_READ_TIMEOUT_SECONDS": "ten",
    }
    with pytest.raises(RuntimeError, match="COMPLAINTS_CLIENT_READ_TIMEOUT_SECONDS must be a number"):
        Server(tmp_path, env).start(timeout=20)
