"""Console staff accounts, their sessions and the console's audit trail.

People sign in to the console with a username and password; systems use API keys (``store/keys.py``).
An account holds the same roles as an API key. Passwords are kept as argon2id hashes only
(argon2-cffi); a session cookie carries a random token of which the store keeps the sha256, so
a copy of the table opens no session. After ``LOCKOUT_ATTEMPTS`` failures of a username from one
source address, that username is locked for that address for ``LOCKOUT_MINUTES`` (``SignInThrottle``:
never for the other addresses, so nobody can lock every approver out); disabling an account or
resetting its password ends its sessions.

Every sign-in, failure, lockout, sign-out, account change and privileged console action is an
event in ``staff_events``, hash-chained like decisions, so the trail shows who did what and when,
and a row edited or removed afterwards is found by ``verify_events``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import insert, select, text, update
from sqlalchemy.engine import Connection, Row

from canonical import canonical_json, sha256_hex
from store.chain import GENESIS
from store.db import DecisionStore
from store.keys import check_roles
from store.tables import staff_accounts, staff_drafts, staff_events, staff_sessions

LOCKOUT_ATTEMPTS = 5  # failed sign-ins of one username from one address before it is locked for that address
ADDRESS_ATTEMPTS = 20  # failed sign-ins from one address, whatever the usernames, before it is throttled
LOCKOUT_MINUTES = 15
SESSION_IDLE_MINUTES = 60  # a session unused this long is over
SESSION_MAX_HOURS = 12  # ... and any session after this long (a working day)
MIN_PASSWORD_LENGTH = 12
_TRAIL_LOCK_KEY = 0x5354414646  # "STAFF": one appender at a time, so two events never take the same seq
USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")

_hasher = PasswordHasher()  # argon2id with the library's current parameters
# Checked against when the username is unknown, so that an unknown name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
_ARGON2_SLOTS = threading.BoundedSemaphore(1)


class SignInThrottle:
    """Failed sign-ins in the last ``LOCKOUT_MINUTES``, per source address and per (username, address).

    A username is ``locked`` for an address after ``LOCKOUT_ATTEMPTS`` failures from it, whether the
    account exists or not (the same answer, so it tells nothing), and never for the other addresses:
    an attacker cannot lock every approver out. An address is ``throttled`` after
    ``ADDRESS_ATTEMPTS`` failures, whatever names it tries. Both end ``LOCKOUT_MINUTES`` after the
    last failure that counted. Kept in this process (each gunicorn worker counts its own), bounded
    to ``MAX_TRACKED`` keys (the oldest forgotten first); a success clears the (username, address) count.
    """

    MAX_TRACKED = 10_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: OrderedDict[tuple[str, str], list[dt.datetime]] = OrderedDict()

    def _recent(self, key: tuple[str, str], now: dt.datetime) -> list[dt.datetime]:
        since = now - dt.timedelta(minutes=LOCKOUT_MINUTES)
        kept = [moment for moment in self._failures.get(key, ()) if moment > since]
        if kept:
            self._failures[key] = kept
        else:
            self._failures.pop(key, None)
        return kept

    def refusal(self, username: str, remote: str, now: dt.datetime) -> str | None:
        with self._lock:
            if len(self._recent(("", remote), now)) >= ADDRESS_ATTEMPTS:
                return "throttled"
            if len(self._recent((username, remote), now)) >= LOCKOUT_ATTEMPTS:
                return "locked"
        return None

    def failed(self, username: str, remote: str, now: dt.datetime) -> str | None:
        """Count a failure; the refusal it starts (``locked``, ``throttled``), if it is the one that does."""
        with self._lock:
            started = None
            for key, limit, refusal in (
                ((username, remote), LOCKOUT_ATTEMPTS, "locked"),
                (("", remote), ADDRESS_ATTEMPTS, "throttled"),
            ):
                recent = self._recent(key, now)
                recent.append(now)
                self._failures[key] = recent
                self._failures.move_to_end(key)
                if len(recent) == limit:
                    started = started or refusal
            while len(self._failures) > self.MAX_TRACKED:
                self._failures.popitem(last=False)
            return started

    def succeeded(self, username: str, remote: str) -> None:
        with self._lock:
            self._failures.pop((username, remote), None)


class AccountError(ValueError):
    """A refused account change: bad username, password or roles, unknown or duplicate account."""


@dataclass(frozen=True)
class StaffAccount:
    username: str
    display_name: str
    roles: frozenset[str]
    created_at: str
    password_set_at: str
    disabled_at: str | None
    failed_attempts: int
    locked_until: str | None
    person: str | None = None  # who the account belongs to (four eyes per person); None: the account itself

    @property
    def active(self) -> bool:
        return self.disabled_at is None


@dataclass(frozen=True)
class Session:
    account: StaffAccount
    csrf_token: str
    created_at: str


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: a session token, or why not (``bad_credentials``, ``locked``, ``disabled``)."""

    token: str | None
    refusal: str | None = None
    account: StaffAccount | None = None


@dataclass(frozen=True)
class StaffEvent:
    seq: int
    recorded_at: str
    username: str
    action: str
    detail: str
    prev_hash: str
    chain_hash: str


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip() != password:
        raise AccountError("a password may not start or end with a space")
    return password


def event_hash(row: dict[str, Any]) -> str:
    return sha256_hex(
        canonical_json({k: row[k] for k in ("seq", "recorded_at", "username", "action", "detail", "prev_hash")})
    )


class StaffStore:
    """Accounts, sessions and the audit trail of one decision store. ``clock`` gives the server's time."""

    def __init__(self, store: DecisionStore, clock: Callable[[], dt.datetime] = _now):
        self.store = store
        self.clock = clock
        self.throttle = SignInThrottle()

    # -- accounts -------------------------------------------------------------

    def create(
        self, username: str, display_name: str, roles: list[str], password: str, *, by: str, person: str | None = None
    ) -> StaffAccount:
        if not USERNAME.match(username):
            raise AccountError(
                f"username {username!r}: expected 2 to 64 lower-case letters, digits, '.', '_' or '-', "
                "starting with a letter"
            )
        try:
            role_set = check_roles(roles)
        except ValueError as exc:
            raise AccountError(str(exc)) from None
        check_password(password)
        now = _utc(self.clock())
        self.store._ensure_schema()
        with self.store._guard(), self.store._write() as conn:
            if conn.execute(select(staff_accounts.c.username).where(staff_accounts.c.username == username)).first():
                raise AccountError(f"an account {username!r} already exists")
            conn.execute(
                insert(staff_accounts).values(
                    username=username,
                    display_name=display_name or username,
                    roles=",".join(sorted(role_set)),
                    password_hash=_hasher.hash(password),
                    created_at=now,
                    password_set_at=now,
                    disabled_at=None,
                    failed_attempts=0,
                    locked_until=None,
                    person=person or None,
                )
            )
            created = {"by": by, "roles": sorted(role_set), **({"person": person} if person else {})}
            self._append(conn, username, "account_created", created)
        return self._require(username)

    def get(self, username: str) -> StaffAccount | None:
        self.store._ensure_schema()
        with self.store._guard(), self.store.engine.connect() as conn:
            row = conn.execute(select(staff_accounts).where(staff_accounts.c.username == username)).first()
        return _account(row) if row else None

    def _require(self, username: str) -> StaffAccount:
        account = self.get(username)
        if account is None:
            raise AccountError(f"no account {username!r}")
        return account

    def accounts(self) -> list[StaffAccount]:
        self.store._ensure_schema()
        with self.store._guard(), self.store.engine.connect() as conn:
            rows = conn.execute(select(staff_accounts).order_by(staff_accounts.c.username)).all()
        return [_account(row) for row in rows]

    def disable(self, username: str, *, by: str) -> StaffAccount:
        self._require(username)
        now = _utc(self.clock())
        with self.store._guard(), self.store._write() as conn:
            conn.execute(
                update(staff_accounts)
                .where(staff_accounts.c.username == username, staff_accounts.c.disabled_at.is_(None))
                .values(disabled_at=now)
            )
            self._end_sessions(conn, username, now)
            self._append(conn, username, "account_disabled", {"by": by})
        return self._require(username)

    def reset(self, username: str, password: str, *, by: str) -> StaffAccount:
        """A new password; unlocks and re-enables the account and ends its sessions."""
        self._require(username)
        check_password(password)
        now = _utc(self.clock())
        with self.store._guard(), self.store._write() as conn:
            conn.execute(
                update(staff_accounts)
                .where(staff_accounts.c.username == username)
                .values(
                    password_hash=_hasher.hash(password),
                    password_set_at=now,
                    disabled_at=None,
                    failed_attempts=0,
                    locked_until=None,
                )
            )
            self._end_sessions(conn, username, now)
            self._append(conn, username, "password_reset", {"by": by})
        return self._require(username)

    # -- sign-in and sessions ---------------------------------------------------

    def sign_in(self, username: str, password: str, *, remote: str) -> SignIn:
        """Check the password; a new session, or a refusal that says nothing about which part was wrong.

        The argon2 check runs outside the store's write transaction (on SQLite, BEGIN IMMEDIATE holds
        every decision until it commits), as much for an unknown username as for a known one. Before it,
        the throttle (in this process) refuses a source address past its failures, and a username past
        its failures from that address (``locked``, alike for unknown and existing names); a refusal
        there costs no hashing and is recorded once, when it starts."""
        self.store._ensure_schema()
        now = self.clock()
        refusal = self.throttle.refusal(username, remote, now)
        if refusal is not None:
            return SignIn(None, refusal)
        with self.store._guard(), self.store.engine.connect() as conn:
            row = conn.execute(select(staff_accounts).where(staff_accounts.c.username == username)).first()
        with _ARGON2_SLOTS:  # one hash at a time per process: sign-in attempts cannot take every core
            good = _verify(row.password_hash if row is not None else _DUMMY_HASH, password)
        if not good or row is None:
            locks = self.throttle.failed(username, remote, now)
            with self.store._guard(), self.store._write() as conn:
                if row is None:
                    self._append(conn, "-", "sign_in_failed", {"username": username[:64], "remote": remote})
                else:
                    self._append(conn, username, "sign_in_failed", {"remote": remote})
                if locks is not None:
                    self._append(
                        conn,
                        username if row is not None else "-",
                        "locked_out" if locks == "locked" else "throttled",
                        {"username": username[:64], "remote": remote, "minutes": LOCKOUT_MINUTES},
                    )
            return SignIn(None, locks or "bad_credentials")
        account = _account(row)
        with self.store._guard(), self.store._write() as conn:
            current = conn.execute(
                select(staff_accounts.c.password_hash, staff_accounts.c.disabled_at).where(
                    staff_accounts.c.username == username
                )
            ).first()
            if current is None or current.password_hash != row.password_hash:  # reset while we hashed
                self._append(conn, username, "sign_in_failed", {"remote": remote, "reason": "password changed"})
                return SignIn(None, "bad_credentials")
            if current.disabled_at is not None:
                self._append(conn, username, "sign_in_refused", {"reason": "disabled", "remote": remote})
                return SignIn(None, "disabled", account)
            token = secrets.token_urlsafe(32)
            stamp = _utc(now)
            conn.execute(
                insert(staff_sessions).values(
                    token_hash=_token_hash(token),
                    username=username,
                    csrf_token=secrets.token_urlsafe(32),
                    created_at=stamp,
                    last_seen_at=stamp,
                    ended_at=None,
                )
            )
            updates: dict[str, Any] = {"failed_attempts": 0, "locked_until": None}
            if _hasher.check_needs_rehash(row.password_hash):
                updates["password_hash"] = _hasher.hash(password)
            conn.execute(update(staff_accounts).where(staff_accounts.c.username == username).values(**updates))
            self._append(conn, username, "signed_in", {"remote": remote})
        self.throttle.succeeded(username, remote)
        return SignIn(token, None, account)

    def session(self, token: str) -> Session | None:
        """The live session of ``token`` (its account active), touched; None if over or unknown."""
        if not token:
            return None
        self.store._ensure_schema()
        now = self.clock()
        digest = _token_hash(token)
        with self.store._guard(), self.store.engine.connect() as conn:
            found = conn.execute(
                select(
                    staff_accounts,
                    staff_sessions.c.csrf_token,
                    staff_sessions.c.created_at.label("session_created_at"),
                    staff_sessions.c.last_seen_at,
                )
                .join(staff_accounts, staff_accounts.c.username == staff_sessions.c.username)
                .where(staff_sessions.c.token_hash == digest, staff_sessions.c.ended_at.is_(None))
            ).first()
        if found is None or found.disabled_at is not None:
            return None
        created = dt.datetime.fromisoformat(found.session_created_at)
        seen = dt.datetime.fromisoformat(found.last_seen_at)
        if now - created > dt.timedelta(hours=SESSION_MAX_HOURS) or now - seen > dt.timedelta(
            minutes=SESSION_IDLE_MINUTES
        ):
            with self.store._guard(), self.store._write() as conn:
                conn.execute(
                    update(staff_sessions).where(staff_sessions.c.token_hash == digest).values(ended_at=_utc(now))
                )
            return None
        if now - seen > dt.timedelta(minutes=1):  # touch at most once a minute: fewer writes
            with self.store._guard(), self.store._write() as conn:
                conn.execute(
                    update(staff_sessions).where(staff_sessions.c.token_hash == digest).values(last_seen_at=_utc(now))
                )
        return Session(_account(found), found.csrf_token, found.session_created_at)

    def sign_out(self, token: str, username: str, *, remote: str) -> None:
        now = _utc(self.clock())
        with self.store._guard(), self.store._write() as conn:
            conn.execute(
                update(staff_sessions)
                .where(staff_sessions.c.token_hash == _token_hash(token), staff_sessions.c.ended_at.is_(None))
                .values(ended_at=now)
            )
            self._append(conn, username, "signed_out", {"remote": remote})

    @staticmethod
    def _end_sessions(conn: Connection, username: str, now: str) -> None:
        conn.execute(
            update(staff_sessions)
            .where(staff_sessions.c.username == username, staff_sessions.c.ended_at.is_(None))
            .values(ended_at=now)
        )

    # -- drafts -----------------------------------------------------------------

    def save_draft(self, username: str, policy_text: str, tests_text: str) -> str:
        """Keep the author's working draft (replacing the one before); the time saved, UTC."""
        now = _utc(self.clock())
        self.store._ensure_schema()
        with self.store._guard(), self.store._write() as conn:
            values = {"policy_text": policy_text, "tests_text": tests_text, "saved_at": now}
            done = conn.execute(update(staff_drafts).where(staff_drafts.c.username == username).values(**values))
            if done.rowcount == 0:
                conn.execute(insert(staff_drafts).values(username=username, **values))
        return now

    def draft(self, username: str) -> tuple[str, str, str] | None:
        """(policy text, tests text, saved at) of the author's saved draft, if any."""
        self.store._ensure_schema()
        with self.store._guard(), self.store.engine.connect() as conn:
            row = conn.execute(select(staff_drafts).where(staff_drafts.c.username == username)).first()
        return (row.policy_text, row.tests_text, row.saved_at) if row else None

    # -- the audit trail --------------------------------------------------------

    def record(self, username: str, action: str, detail: dict[str, Any]) -> StaffEvent:
        """Append one event (a privileged console action) to the trail."""
        self.store._ensure_schema()
        with self.store._guard(), self.store._write() as conn:
            return self._append(conn, username, action, detail)

    def _append(self, conn: Connection, username: str, action: str, detail: dict[str, Any]) -> StaffEvent:
        if self.store.dialect == "postgresql":  # SQLite's write lock already serialises appends
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _TRAIL_LOCK_KEY})
        last = conn.execute(
            select(staff_events.c.seq, staff_events.c.chain_hash).order_by(staff_events.c.seq.desc()).limit(1)
        ).first()
        row: dict[str, Any] = {
            "seq": (last.seq if last else 0) + 1,
            "recorded_at": _utc(self.clock()),
            "username": username,
            "action": action,
            "detail": canonical_json(detail),
            "prev_hash": last.chain_hash if last else GENESIS,
        }
        row["chain_hash"] = event_hash(row)
        conn.execute(insert(staff_events).values(**row))
        return StaffEvent(**row)

    def events(self, *, limit: int = 100, username: str | None = None) -> list[StaffEvent]:
        """The newest events first."""
        self.store._ensure_schema()
        query = select(staff_events).order_by(staff_events.c.seq.desc()).limit(limit)
        if username:
            query = query.where(staff_events.c.username == username)
        with self.store._guard(), self.store.engine.connect() as conn:
            return [StaffEvent(**row._mapping) for row in conn.execute(query)]

    def all_events(self) -> list[dict[str, Any]]:
        """Every event of the trail as stored, oldest first (for audit bundles)."""
        self.store._ensure_schema()
        with self.store._guard(), self.store.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(select(staff_events).order_by(staff_events.c.seq))]

    def verify_events(self) -> tuple[int, list[str]]:
        """Recompute the trail's chain: (events checked, problems)."""
        self.store._ensure_schema()
        problems: list[str] = []
        expected_seq, expected_prev, count = 1, GENESIS, 0
        with self.store._guard(), self.store.engine.connect() as conn:
            for row in conn.execute(select(staff_events).order_by(staff_events.c.seq)):
                event = dict(row._mapping)
                count += 1
                if event["seq"] != expected_seq:
                    problems.append(f"event {event['seq']}: expected event {expected_seq} before it (removed)")
                if event["prev_hash"] != expected_prev:
                    problems.append(f"event {event['seq']}: prev_hash does not match the event before it")
                if event_hash(event) != event["chain_hash"]:
                    problems.append(f"event {event['seq']}: its content does not hash to its link (edited)")
                expected_seq, expected_prev = event["seq"] + 1, event["chain_hash"]
        return count, problems


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _account(row: Row[Any]) -> StaffAccount:
    return StaffAccount(
        username=row.username,
        display_name=row.display_name,
        roles=frozenset(row.roles.split(",")),
        created_at=row.created_at,
        password_set_at=row.password_set_at,
        disabled_at=row.disabled_at,
        failed_attempts=row.failed_attempts,
        locked_until=row.locked_until,
        person=row.person,
    )
