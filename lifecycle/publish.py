"""The checks a policy version must pass before it may be proposed (``lifecycle/governance.py``).

Order: parse and validate, compile (engine limits), lint. Unaccepted lint
findings refuse it, except the short-notice warning between the file's own
dates (``ACKNOWLEDGEABLE``): the notice that binds is measured by the register
from the moment of scheduling.
"""

from __future__ import annotations

from rules.compiler import compile_policy
from rules.lint import Finding, lint_policy
from rules.loader import load_policy_text
from rules.messages import Words, say
from rules.model import Policy

ACKNOWLEDGEABLE = ("short_notice",)


class PublishRefused(ValueError):
    """The version was checked and cannot be published as it stands."""

    def __init__(self, words: Words, found: list[Finding]):
        self.words = words  # the message in the catalog's words; str() of the refusal is its English
        self.found = found  # the findings, to word in the caller's language
        self.findings = [f.as_dict() for f in found]
        super().__init__(words.text())


def check_for_publication(text: str, file: str, acknowledge: tuple[str, ...] = ()) -> tuple[Policy, list[str], int]:
    """The policy, the warnings acknowledged, and the count of accepted lint findings.

    Raises ``PolicyError`` for an invalid or too large policy and ``PublishRefused``
    for unaccepted lint findings or an unacknowledged short notice.
    """
    policy = load_policy_text(text, file)
    compile_policy(policy)
    report = lint_policy(policy)
    blocking = [f for f in report.unaccepted if f.code not in ACKNOWLEDGEABLE]
    if blocking:
        raise PublishRefused(say("lint.refused", count=len(blocking)), blocking)
    warnings = [f for f in report.unaccepted if f.code in ACKNOWLEDGEABLE]
    missing = [f for f in warnings if f.code not in acknowledge]
    if missing:
        raise PublishRefused(say("lint.refused_notice"), missing)
    return policy, sorted({f.code for f in warnings}), len(report.accepted)
