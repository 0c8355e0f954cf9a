"""Publishing a policy version: check it fully, then make it visible to every instance.

Order: parse and validate, compile (engine limits), lint. Unaccepted lint
findings refuse the publication, except the short-notice warning (ECL Art. 34:
7 days' notice, 15 for a major change), which the publisher may acknowledge
explicitly. Only then is the text stored by digest and published.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rules.compiler import compile_policy
from rules.lint import lint_policy
from rules.loader import load_policy_text
from rules.model import Policy

ACKNOWLEDGEABLE = ("short_notice",)


class PublishRefused(ValueError):
    """The version was checked and cannot be published as it stands."""

    def __init__(self, message: str, findings: list[dict]):
        self.findings = findings
        super().__init__(message)


@dataclass
class PublishResult:
    policy: Policy
    published: bool  # False: this exact version was published before
    acknowledged: list[str] = field(default_factory=list)
    accepted_findings: int = 0


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
        raise PublishRefused(
            f"{len(blocking)} lint finding(s) must be fixed or accepted in the policy's `lint: accept` section",
            [f.as_dict() for f in blocking],
        )
    warnings = [f for f in report.unaccepted if f.code in ACKNOWLEDGEABLE]
    missing = [f for f in warnings if f.code not in acknowledge]
    if missing:
        raise PublishRefused(
            "the policy takes effect too soon after it is announced; acknowledge `short_notice` to publish anyway",
            [f.as_dict() for f in missing],
        )
    return policy, sorted({f.code for f in warnings}), len(report.accepted)


def publish(store, text: str, file: str, published_by: str, acknowledge: tuple[str, ...] = ()) -> PublishResult:
    policy, acknowledged, accepted = check_for_publication(text, file, acknowledge)
    published = store.publish_policy(policy, published_by, acknowledged)
    return PublishResult(policy, published, acknowledged, accepted)
