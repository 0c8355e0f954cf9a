"""The last head each configured witness holds, beside the store's: what the console's verify page shows.

A witness (``store.witness``) is an append-only file of signed statements kept where the store's operator
cannot rewrite it; ``COMPLAINTS_WITNESS_FILES`` names those this service can read. For each, ``witness_heads``
gives its newest statement and how the store stands against it: ``same`` (the store holds that statement byte
for byte), ``fork`` (the store holds a different statement under that number), ``rollback`` (the store no
longer holds it), ``empty`` (no statement yet), ``missing`` (no such file) or ``unreadable`` (a damaged
file). The full comparison, every statement with its signature checked, is ``audit.verify.verify_log`` with
``witnesses`` (the page's "Verify now", ``complaints store verify --witness``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from store.checkpoints import SignedStatement, all_statements
from store.db import DecisionStore
from store.witness import HeadFile, WitnessError


@dataclass(frozen=True)
class WitnessHead:
    path: str
    state: str  # same, fork, rollback, empty, missing, unreadable
    detail: str
    last: SignedStatement | None = None
    store_after: int = 0  # statements the store holds after the witness's last: not pushed to it (yet)

    @property
    def signed_at(self) -> str:
        return str(self.last.body().get("signed_at", "")) if self.last is not None else ""


def read_witnesses(paths: tuple[str, ...]) -> tuple[list[tuple[str, list[SignedStatement]]], dict[str, str]]:
    """(name, statements) of each readable witness file, and why each other one cannot be read."""
    found, unreadable = [], {}
    for path in paths:
        if not Path(path).is_file():
            unreadable[path] = "no such file: the witness holds nothing here (check COMPLAINTS_WITNESS_FILES)"
            continue
        try:
            found.append((path, HeadFile(Path(path)).read()))
        except WitnessError as exc:
            unreadable[path] = str(exc)
    return found, unreadable


def witness_heads(store: DecisionStore, paths: tuple[str, ...]) -> list[WitnessHead]:
    """Each witness's newest statement against the store's statements, in the order configured."""
    if not paths:
        return []
    stored = {s.number: s for s in all_statements(store)}
    newest = max(stored, default=0)
    readable, unreadable = read_witnesses(paths)
    held = dict(readable)
    heads = []
    for path in paths:
        if path in unreadable:
            missing = not Path(path).is_file()
            heads.append(WitnessHead(path, "missing" if missing else "unreadable", unreadable[path]))
            continue
        statements = held[path]
        if not statements:
            heads.append(WitnessHead(path, "empty", "holds no signed statement yet", store_after=newest))
            continue
        last = max(statements, key=lambda s: s.number)
        after = sum(1 for number in stored if number > last.number)
        mine = stored.get(last.number)
        if mine is None:
            state, detail = (
                "rollback",
                f"the store no longer holds statement {last.number}, which this witness holds: statements were "
                "deleted or the log rolled back",
            )
        elif (mine.statement, mine.signature) != (last.statement, last.signature):
            state, detail = (
                "fork",
                f"the store holds a different statement {last.number} from the one this witness holds: the log "
                "was forked (rewritten and signed again)",
            )
        else:
            state, detail = "same", f"the store holds statement {last.number} as this witness does"
        heads.append(WitnessHead(path, state, detail, last, after))
    return heads
