"""Prove the policy register intact: every governance transition, and where it sits in the decision chain.

The register is its own hash chain (``store/governance.py``): an edited, removed or reordered event
breaks it, and the report names the event. Each event also records the decision chain's head when it
was written (``decision_seq``, ``decision_hash``); where that decision is still stored (not purged),
its ``chain_hash`` must match, so an event cannot be moved to another point in the decisions' history.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from store.chain import GENESIS
from store.db import DecisionStore
from store.governance import PolicyRegister, RegisterProblem
from store.tables import decisions


@dataclass
class RegisterReport:
    events: int = 0
    problems: list[RegisterProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "result": "intact" if self.ok else "broken",
            "events": self.events,
            "problems": [
                {"seq": p.seq, "kind": p.kind, "detail": p.detail, "text": str(p)} for p in self.problems[:100]
            ],
        }

    def as_text(self) -> str:
        lines = [str(p) for p in self.problems[:100]]
        lines.append(f"{self.events} policy register events: {'intact' if self.ok else 'BROKEN'}")
        return "\n".join(lines)


def verify_register(store: DecisionStore) -> RegisterReport:
    register = PolicyRegister(store)
    count, problems = register.verify()
    report = RegisterReport(count, problems)
    anchors = {e.decision_seq: (e.seq, e.decision_hash) for e in register.events()}
    wanted = [seq for seq in anchors if seq > 0]
    with store._guard(), store.engine.connect() as conn:
        found = (
            dict(conn.execute(select(decisions.c.seq, decisions.c.chain_hash).where(decisions.c.seq.in_(wanted))).all())
            if wanted
            else {}
        )
    for decision_seq, (event_seq, expected) in sorted(anchors.items()):
        actual = GENESIS if decision_seq == 0 else found.get(decision_seq)
        if actual is not None and actual != expected:
            report.problems.append(
                RegisterProblem(
                    event_seq,
                    "anchor",
                    f"recorded after decision seq {decision_seq}, whose chain_hash is no longer the one it saw",
                )
            )
    return report
