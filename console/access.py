"""Who may open what: the API's roles, per console page, checked on the server for every request.

The sets repeat the API's own ``require(...)`` for the same operation (api/audit.py,
api/policy_versions.py, api/proposals.py), so a person and a key with one role can do the same.
The role ``decider`` (systems that submit complaints) opens no console page.
"""

from __future__ import annotations

AUDIT = ("auditor",)  # search, decision, replay, verify, export (api/audit.py)
PERSONAL_DATA = "personal_data"  # unmasked exports, with auditor
POLICY_TEXT = ("auditor", "policy_admin")  # GET /v1/policies/{digest}/text
AUTHOR = ("policy_admin",)  # draft, check, tests, diff, propose (POST /v1/policies)
IMPACT = ("policy_admin", "auditor")  # POST /v1/policies/impact
REVIEW = ("policy_approver",)  # approve, reject
WITHDRAW = ("policy_admin", "policy_approver")
VERSIONS = ("auditor", "policy_admin", "policy_approver")  # the register and notices (not decider)
DASHBOARD = ("team_lead", "auditor")  # aggregates only, no personal data
QUEUE = ("auditor",)  # GET /v1/deadlines (decider, auditor; decider opens no page)

# Every role that opens at least one page: the home page lists what the others open.
CONSOLE_ROLES = frozenset(AUDIT + POLICY_TEXT + AUTHOR + IMPACT + REVIEW + WITHDRAW + VERSIONS + DASHBOARD + QUEUE)


def allows(roles: frozenset[str], needed: tuple[str, ...]) -> bool:
    return bool(roles & set(needed))
