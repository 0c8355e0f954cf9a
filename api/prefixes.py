"""Ids and digests in paths may be shortened to a unique prefix (store/prefixes.py): 404 when nothing
matches, 422 ``invalid-parameters`` naming the candidates when the prefix is too short or ambiguous."""

from __future__ import annotations

from api.context import services
from api.problems import Problem
from store.prefixes import PrefixError


def _resolved(resolve, given: str, name: str) -> str:
    try:
        return resolve(given)
    except PrefixError as exc:
        if exc.unknown:
            raise Problem("not-found", str(exc)) from None
        raise Problem("invalid-parameters", str(exc), errors={name: [str(exc)]}) from None


def full_decision_id(given: str) -> str:
    return _resolved(services().store.resolve_decision_id, given, "decision_id")


def full_digest(given: str) -> str:
    return _resolved(services().store.resolve_policy_digest, given, "digest")
