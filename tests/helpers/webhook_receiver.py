"""A real webhook receiver on loopback: an http.server in a thread that records every POST.

Each path answers from its script (a list of statuses, used in turn, then 200);
a path under ``/slow`` holds its request until the test ends, to show that a
deliverer gives up on a receiver that does not answer.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str  # without the query
    headers: dict[str, str]
    body: bytes


class Receiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.scripts: dict[str, list[int]] = {}
        self.retry_after: dict[str, str] = {}
        self.release = threading.Event()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                path = self.path.split("?")[0]
                with receiver._lock:
                    receiver.received.append(Received(path, dict(self.headers.items()), body))
                    script = receiver.scripts.get(path, [])
                    status = script.pop(0) if script else 200
                if path.startswith("/slow"):
                    receiver.release.wait(60)
                try:
                    self.send_response(status)
                    if path in receiver.retry_after:
                        self.send_header("Retry-After", receiver.retry_after[path])
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the deliverer gave up waiting (a /slow path): what the test wants

            def log_message(self, format, *args) -> None:  # noqa: A002 - quiet in test output
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, name="webhook-receiver", daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def script(self, path: str, *statuses: int) -> None:
        with self._lock:
            self.scripts[path] = list(statuses)

    def at(self, path: str) -> list[Received]:
        with self._lock:
            return [item for item in self.received if item.path == path]

    def event_counts(self) -> Counter:
        with self._lock:
            return Counter(item.headers["Complaints-Event-Id"] for item in self.received)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
