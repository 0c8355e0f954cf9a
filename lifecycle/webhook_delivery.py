"""Sending the outbox: signed JSON POSTs, retried with backoff, dead after the last attempt.

``Deliverer.run_once(now)`` fans new events out to the configured subscribers,
then claims due rows a batch at a time (a lease, ``store/outbox.py``), POSTs each,
and records the outcome: a 2xx is delivered; anything else (another status, a
refused connection, a timeout) is tried again after an exponential backoff with
jitter, and after ``max_attempts`` the row is dead (kept; ``complaints webhooks
list`` shows it, ``complaints webhooks retry`` revives it). Redirects are not
followed: a subscriber that moved says so by failing, not by sending its
notifications somewhere else.

Any number of deliverers may run on one store (gunicorn workers, several
instances, ``complaints webhooks deliver``): each row is leased to one. "Now" is
an argument, and the jitter comes from ``rng``, so tests decide both.
"""

from __future__ import annotations

import datetime as dt
import http.client
import logging
import os
import random
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from engine.version import ENGINE_VERSION
from lifecycle.webhook_config import ALLOW_ENV, AddressGuard, WebhookConfig, display_url
from lifecycle.webhook_signing import ATTEMPT_HEADER, EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, sign
from store.db import DecisionStore, StoreUnavailable
from store.outbox import DEAD, DELIVERED, PENDING, Delivery, claim, depth, fan_out, settle

log = logging.getLogger("complaints.webhooks")
BATCH = 20
_LEASE_MARGIN_SECONDS = 30
_MAX_RESPONSE_BYTES = 64 * 1024  # read (and ignored) so the connection closes cleanly


@dataclass(frozen=True)
class Attempt:
    """What one POST came to: the receiver's status, or why there was none."""

    status: int | None
    error: str | None = None
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class RunReport:
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    lost_leases: int = 0
    depth: dict[str, int] = field(default_factory=dict)

    @property
    def attempted(self) -> int:
        return self.delivered + self.retrying + self.dead


def retry_delay(attempt: int, config: WebhookConfig, rng: random.Random) -> float:
    """Seconds before attempt ``attempt + 1``: base * 2^(attempt-1), capped, half of it jittered
    ("equal jitter"), so receivers coming back from an outage are not hit by every sender at once."""
    ceiling = min(config.backoff_max_seconds, config.backoff_seconds * 2 ** min(attempt - 1, 32))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


def _retry_after(value: str | None) -> float | None:
    if value is None or not value.strip().isdigit():
        return None  # an HTTP-date is rare from webhook receivers; the backoff applies
    return float(value.strip())


def _connect_checked(addresses: list[str], port: int, timeout: float | None) -> socket.socket:
    """A connection to the first of the checked ``addresses`` that answers (as create_connection tries a name's)."""
    failure: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as exc:
            failure = exc
    raise failure or OSError("no address to connect to")


class _PinnedHTTP(http.client.HTTPConnection):
    """HTTP to the addresses checked, whatever the name resolves to by the time it connects."""

    def __init__(self, host: str, port: int | None, addresses: list[str], timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._addresses = addresses

    def connect(self) -> None:
        self.sock = _connect_checked(self._addresses, self.port, self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to the addresses checked; the certificate is still checked against the host's name (SNI too)."""

    def __init__(self, host: str, port: int | None, addresses: list[str], timeout: float, context: ssl.SSLContext):
        super().__init__(host, port, timeout=timeout, context=context)
        self._addresses = addresses
        self._tls = context

    def connect(self) -> None:
        raw = _connect_checked(self._addresses, self.port, self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float, guard: AddressGuard | None = None) -> Attempt:
    """POST ``body`` to ``url``; every network step (connect, send, each read) bounded by ``timeout``,
    the whole answer by twice that. With ``guard`` (production) the host is resolved and checked first,
    and the connection goes to the address checked: nothing is sent to a private one."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    host = parts.hostname or ""
    pinned: list[str] | None = None
    if guard is not None:
        try:
            addresses, refused = guard.resolve(host, parts.port)
        except OSError as exc:
            return Attempt(None, f"{host} does not resolve: {exc}")
        if refused is not None:
            return Attempt(
                None,
                f"refused: {host} resolves to {refused}; production sends only to public addresses "
                f"(or to networks in {ALLOW_ENV})",
            )
        pinned = [str(address) for address in addresses]
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        context = ssl.create_default_context()
        if pinned is not None:
            connection = _PinnedHTTPS(host, parts.port, pinned, timeout, context)
        else:
            connection = http.client.HTTPSConnection(host, parts.port, timeout=timeout, context=context)
    elif pinned is not None:
        connection = _PinnedHTTP(host, parts.port, pinned, timeout)
    else:
        connection = http.client.HTTPConnection(host, parts.port, timeout=timeout)
    deadline = time.monotonic() + 2 * timeout
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        read = 0
        while read < _MAX_RESPONSE_BYTES and time.monotonic() < deadline:
            chunk = response.read(4096)
            if not chunk:
                break
            read += len(chunk)
        return Attempt(
            response.status,
            None if 200 <= response.status < 300 else f"HTTP {response.status}",
            _retry_after(response.getheader("Retry-After")),
        )
    except TimeoutError:
        return Attempt(None, f"no answer within {timeout:g} s")
    except (OSError, http.client.HTTPException) as exc:
        return Attempt(None, f"{type(exc).__name__}: {exc}".strip())
    finally:
        connection.close()


class Deliverer:
    def __init__(
        self,
        store: DecisionStore,
        config: WebhookConfig,
        *,
        rng: random.Random | None = None,
        owner: str | None = None,
        on_attempt: Callable[[str, Delivery, Attempt], None] | None = None,
        on_depth: Callable[[dict[str, int]], None] | None = None,
    ):
        self.store = store
        self.config = config
        self.rng = rng or random.Random()
        self.owner = owner or f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.on_attempt = on_attempt
        self.on_depth = on_depth
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _headers(self, delivery: Delivery, body: bytes, now: dt.datetime) -> dict[str, str]:
        return {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": f"complaints-webhooks/{ENGINE_VERSION}",
            SIGNATURE_HEADER: sign(self.config.secrets, int(now.timestamp()), body),
            EVENT_ID_HEADER: delivery.event_id,
            EVENT_TYPE_HEADER: delivery.kind,
            ATTEMPT_HEADER: str(delivery.attempts),
        }

    def deliver(self, delivery: Delivery, now: dt.datetime, report: RunReport) -> None:
        body = delivery.body.encode("utf-8")
        attempt = post(
            delivery.subscriber,
            body,
            self._headers(delivery, body, now),
            self.config.timeout_seconds,
            self.config.guard,
        )
        where = {
            "event_id": delivery.event_id,
            "kind": delivery.kind,
            "subscriber": display_url(delivery.subscriber),
            "attempt": delivery.attempts,
            "http_status": attempt.status,
        }
        again: dt.datetime | None = None
        if attempt.ok:
            status, outcome = DELIVERED, DELIVERED
        elif delivery.attempts >= self.config.max_attempts:
            status, outcome = DEAD, DEAD
        else:
            delay = retry_delay(delivery.attempts, self.config, self.rng)
            if attempt.retry_after is not None:
                delay = min(max(delay, attempt.retry_after), self.config.backoff_max_seconds)
            status, outcome, again = PENDING, "retrying", now + dt.timedelta(seconds=delay)
        kept = settle(
            self.store,
            delivery.id,
            self.owner,
            status=status,
            at=now,
            http_status=attempt.status,
            error=attempt.error,
            next_attempt_at=again,
        )
        if outcome == DELIVERED:
            report.delivered += 1
            log.info("notification delivered", extra=where)
        elif outcome == DEAD:
            report.dead += 1
            log.error("notification dead after its last attempt", extra={**where, "error": attempt.error})
        else:
            report.retrying += 1
            log.warning(
                "notification not delivered; will retry",
                extra={**where, "error": attempt.error, "next_attempt_at": again.isoformat() if again else None},
            )
        if not kept:
            report.lost_leases += 1
            log.warning("lease on a notification ran out before its outcome was recorded", extra=where)
        if self.on_attempt is not None:
            self.on_attempt(outcome, delivery, attempt)

    def run_once(self, now: dt.datetime | None = None) -> RunReport:
        """Fan out, then attempt once every row due when the pass starts; a report of it.

        ``now``: the time of the whole pass (tests). Without it each POST is signed, and its outcome
        recorded, at the clock's time when it is sent, so a long pass never sends a stale signature."""

        def clock() -> dt.datetime:
            return now if now is not None else dt.datetime.now(dt.UTC)

        started = clock()
        report = RunReport()
        while fan_out(self.store, self.config.subscribers, started):
            pass
        lease = dt.timedelta(seconds=BATCH * 2 * self.config.timeout_seconds + _LEASE_MARGIN_SECONDS)
        while not self._stop.is_set():
            batch = claim(
                self.store,
                owner=self.owner,
                subscribers=self.config.subscribers,
                now=started,  # due by the start: a row that fails in this pass waits for the next
                lease_until=clock() + lease,
                limit=BATCH,
            )
            if not batch:
                break
            for delivery in batch:
                self.deliver(delivery, clock(), report)
        report.depth = depth(self.store)
        if self.on_depth is not None:
            self.on_depth(report.depth)
        return report

    def run_forever(self) -> None:
        """A pass every ``poll_seconds`` until ``stop()``; a failed pass is logged and the next one tries again."""
        while True:
            try:
                self.run_once()
            except StoreUnavailable as exc:
                log.warning("notifications not sent: decision store unavailable", extra={"reason": str(exc)})
            except Exception:  # noqa: BLE001 - the deliverer must outlive one bad pass
                log.exception("notifications not sent")
            if self._stop.wait(self.config.poll_seconds):
                return

    def start(self) -> None:
        """Deliver in a daemon thread, a pass every ``poll_seconds``."""
        if self._thread is None:
            self._thread = threading.Thread(target=self.run_forever, name="webhooks", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
