"""Signed heads kept outside the database: the signer's own record, and witnesses.

A **head file** is an append-only JSON Lines file of signed statements (one
``SignedStatement.as_dict()`` per line), written outside the database, where
whoever can write the database cannot rewrite it:

- the signer keeps one beside its key (``<key file>.head``, or the path in
  ``COMPLAINTS_SIGNED_HEAD_FILE``): before it signs a new head it checks that
  the store still holds the last statement it signed and that the chain still
  reaches it (``store.checkpoints.take_checkpoint``);
- a **witness** is the same file kept by someone else (an auditor's copy, a
  second host, a mounted write-once directory): ``complaints store verify
  --witness FILE`` and ``complaints audit verify-bundle --witness FILE``
  compare the store or bundle with every statement each witness holds, and
  name a fork (a different statement under the same number) or a rollback
  (statements the witness holds that the store no longer has).

Appends take an exclusive ``flock`` and only ever add a statement numbered
after the last one the file holds, so two workers signing in turn keep the file
in order; a line that is not a statement is a finding, never skipped silently.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path

from store.checkpoints import SignedStatement

HEAD_FILE_ENV = "COMPLAINTS_SIGNED_HEAD_FILE"


class WitnessError(ValueError):
    """A head or witness file that cannot be read; the message names the file and the line."""


def head_path_for_key(key_path: str | Path) -> Path:
    """Where the signer keeps its last signed heads: beside its private key."""
    return Path(f"{key_path}.head")


@dataclass(frozen=True)
class HeadFile:
    """An append-only file of signed statements, named for reports (``name``: the path, or a label)."""

    path: Path
    name: str = ""

    @property
    def label(self) -> str:
        return self.name or str(self.path)

    def read(self) -> list[SignedStatement]:
        """Every statement in the file, in the order written; [] if the file does not exist yet."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError) as exc:
            raise WitnessError(f"witness {self.label}: cannot be read ({type(exc).__name__})") from None
        found = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if item.get("type", "statement") != "statement":
                    continue  # an export-checkpoints file also lists public keys
                found.append(SignedStatement.from_dict(item))
            except (ValueError, KeyError, TypeError, AttributeError):
                raise WitnessError(
                    f"witness {self.label}: line {number} is not a signed statement (expected one JSON object "
                    "per line, as `complaints export-checkpoints` writes): the file was damaged"
                ) from None
        return found

    def last(self) -> SignedStatement | None:
        statements = self.read()
        return max(statements, key=lambda s: s.number) if statements else None

    def append(self, statement: SignedStatement) -> bool:
        """Add ``statement`` if it is numbered after every statement the file holds; True if added."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "r+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                handle.seek(0)
                numbers = [int(json.loads(line).get("id", 0)) for line in handle if line.strip()]
                if numbers and max(numbers) >= statement.number:
                    return False
                handle.write(json.dumps({"type": "statement", **statement.as_dict()}, ensure_ascii=False) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
                return True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
