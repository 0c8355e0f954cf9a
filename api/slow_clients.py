"""The gunicorn worker that bounds how long a client may take to send one request.

gunicorn has no setting for header or body read time: a client that sends a header line a second,
or announces a body and stops, holds a worker thread for as long as it likes, and a few of them
stop ``/healthz`` being answered. This worker (``worker_class`` in api/gunicorn_conf.py) gives every
request one deadline, COMPLAINTS_CLIENT_READ_TIMEOUT_SECONDS from its first byte, for reading its
headers and its body together; a read past it fails, and the connection is closed. Production still
puts a buffering reverse proxy in front (README, operations), which absorbs slow clients itself.
"""

from __future__ import annotations

import errno
import os
import socket
import time
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker

DEFAULT_READ_TIMEOUT_SECONDS = 10.0
# A response is written with its own, fresh timeout: the read deadline never cuts a long export.
SEND_TIMEOUT_SECONDS = 30.0


def read_timeout_seconds() -> float:
    raw = os.environ.get("COMPLAINTS_CLIENT_READ_TIMEOUT_SECONDS", "")
    if not raw:
        return DEFAULT_READ_TIMEOUT_SECONDS
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"COMPLAINTS_CLIENT_READ_TIMEOUT_SECONDS must be a number of seconds, got {raw!r}") from None
    if not value > 0 or value == float("inf"):
        raise ValueError(f"COMPLAINTS_CLIENT_READ_TIMEOUT_SECONDS must be above 0, got {raw!r}")
    return value


class DeadlineSocket:
    """A client socket whose reads all end at one deadline, set anew for every request."""

    def __init__(self, sock: socket.socket, send_timeout: float = SEND_TIMEOUT_SECONDS):
        self._sock = sock
        self._send_timeout = send_timeout
        self.deadline: float | None = None

    def start_request(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds

    def recv(self, size: int, *flags: int) -> bytes:
        if self.deadline is not None:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(errno.ETIMEDOUT, "client too slow to send its request")
            self._sock.settimeout(remaining)
        return self._sock.recv(size, *flags)

    def recv_into(self, buffer: Any, *args: int) -> int:
        if self.deadline is not None:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(errno.ETIMEDOUT, "client too slow to send its request")
            self._sock.settimeout(remaining)
        return self._sock.recv_into(buffer, *args)

    def send(self, data: Any, *flags: int) -> int:
        self._sock.settimeout(self._send_timeout)
        return self._sock.send(data, *flags)

    def sendall(self, data: Any, *flags: int) -> None:
        self._sock.settimeout(self._send_timeout)
        self._sock.sendall(data, *flags)

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        self._sock.settimeout(self._send_timeout)
        return self._sock.sendfile(file, offset, count)

    def fileno(self) -> int:
        return self._sock.fileno()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class DeadlineConn(TConn):
    """gthread's connection, whose every request (keep-alive ones too) starts a read deadline."""

    def __init__(self, cfg: Any, sock: socket.socket, client: Any, server: Any, read_timeout: float):
        super().__init__(cfg, DeadlineSocket(sock), client, server)
        self.read_timeout = read_timeout

    def init(self) -> None:
        # gthread calls init() before each request on the connection; only the first one sets up.
        super().init()
        if isinstance(self.sock, DeadlineSocket):
            self.sock.start_request(self.read_timeout)


class SlowClientWorker(ThreadWorker):
    """gthread with a read deadline on every request (see the module docstring)."""

    def init_process(self) -> None:
        self.read_timeout = read_timeout_seconds()
        super().init_process()

    def accept(self, listener: socket.socket) -> None:
        # gthread's accept, with the connection class replaced.
        try:
            client_sock, client_addr = listener.accept()
            self.nr_conns += 1
            client_sock.setblocking(True)
            server = listener.getsockname()
            if self.cfg.is_ssl:  # TLS wraps the bare socket; TLS ends at the reverse proxy (README)
                conn = TConn(self.cfg, client_sock, client_addr, server)
            else:
                conn = DeadlineConn(self.cfg, client_sock, client_addr, server, self.read_timeout)
            self.enqueue_req(conn)
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
