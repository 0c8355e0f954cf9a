"""The policy versions known to this process, and which one is in force when.

A complaint is decided under the version whose ``effective_from`` is the latest
at or before the complaint's ``received_at`` (its business time), never by the
version loaded last or by the server clock. Two versions never share an
``effective_from``: a book refuses them (``TiedVersions``). A book is immutable: a reload
builds a new book and swaps one reference, so no request ever sees a
half-loaded policy.
"""

from __future__ import annotations

import bisect
import datetime as dt

from engine.complaint import ComplaintError
from engine.decider import Decider


class NoPolicyInForce(ComplaintError):
    """The complaint predates every version's effective date."""


class TiedVersions(ValueError):
    """Two versions with the same effective_from: which one decides would be a matter of chance."""


class PolicyBook:
    def __init__(self, deciders: list[Decider]):
        if not deciders:
            raise ValueError("a policy book needs at least one policy version")
        unique = {d.policy.digest: d for d in deciders}
        self.versions = sorted(unique.values(), key=lambda d: d.policy.effective_from)
        # One answer for every moment: two versions starting together would leave it to chance.
        for earlier, later in zip(self.versions, self.versions[1:], strict=False):
            if earlier.policy.effective_from == later.policy.effective_from:
                raise TiedVersions(
                    f"versions {earlier.policy.version} ({earlier.policy.digest[:12]}) and {later.policy.version} "
                    f"({later.policy.digest[:12]}) both take effect at {later.policy.effective_from.isoformat()}"
                )
        self._starts = [d.policy.effective_from for d in self.versions]
        self._by_digest = unique

    @property
    def latest(self) -> Decider:
        return self.versions[-1]

    def by_digest(self, digest: str) -> Decider | None:
        return self._by_digest.get(digest)

    def in_force_at(self, moment: dt.datetime) -> Decider:
        index = bisect.bisect_right(self._starts, moment) - 1
        if index < 0:
            first = self.versions[0].policy
            raise NoPolicyInForce(
                {
                    "received_at": [
                        f"{moment.isoformat()} is before the first policy version in force "
                        f"({first.version}, effective {first.effective_from.isoformat()})"
                    ]
                }
            )
        return self.versions[index]

    def decider_for(self, raw: object) -> Decider:
        """The version in force at the complaint's ``received_at``.

        An unreadable ``received_at`` is left to the newest version's validation,
        which names the field with the same message as any other bad input.
        """
        moment = _received_at(raw)
        return self.latest if moment is None else self.in_force_at(moment)


def _received_at(raw: object) -> dt.datetime | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("received_at"), str):
        return None
    try:
        moment = dt.datetime.fromisoformat(raw["received_at"])
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
