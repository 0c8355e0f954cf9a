"""A client-side deadline for every PostgreSQL connection while it is checked out of the pool.

The server enforces ``statement_timeout`` and ``lock_timeout`` itself, but a server that is
stalled (SIGSTOP, a frozen VM, a network black hole) enforces nothing: the kernel still accepts
the bytes and the client waits on the socket forever. One thread per process watches the
deadlines; when one passes, it shuts the connection's socket down, so the waiting call fails at
once (psycopg raises ``OperationalError``; the store turns it into ``StoreUnavailable``) and the
pool discards the connection.
"""

from __future__ import annotations

import os
import socket
import threading
import time


class Watchdog:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self._armed: dict[int, tuple[float, int]] = {}  # id(connection) -> (deadline, socket fd)
        self._fired: set[int] = set()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def arm(self, connection: object, fileno: int) -> None:
        """Start the deadline of ``connection`` (whose socket is ``fileno``)."""
        if self.seconds <= 0:
            return
        with self._wake:
            self._fired.discard(id(connection))
            self._armed[id(connection)] = (time.monotonic() + self.seconds, fileno)
            self._ensure_thread()
            self._wake.notify()

    def disarm(self, connection: object) -> bool:
        """Stop the deadline; True if it had passed (the socket was shut down)."""
        with self._wake:
            self._armed.pop(id(connection), None)
            fired = id(connection) in self._fired
            self._fired.discard(id(connection))
            return fired

    def _ensure_thread(self) -> None:
        # A forked worker does not inherit the thread: start its own.
        if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._watch, name="db-deadlines", daemon=True)
            self._thread.start()

    def _watch(self) -> None:
        while True:
            with self._wake:
                now = time.monotonic()
                due = [(key, fd) for key, (deadline, fd) in self._armed.items() if deadline <= now]
                for key, _ in due:
                    del self._armed[key]
                    self._fired.add(key)
                if not due:
                    nearest = min((deadline for deadline, _ in self._armed.values()), default=now + 60)
                    self._wake.wait(max(nearest - now, 0.01))
                    continue
            for _, fd in due:
                _shut_down(fd)


def _shut_down(fd: int) -> None:
    """Make every read and write on the socket fail now, without closing the descriptor under its owner."""
    try:
        sock = socket.socket(fileno=os.dup(fd))
    except OSError:
        return  # already closed by its owner
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        sock.close()
