"""Bearer API keys: generated once, shown once, stored as sha256 only.

A key reads ``cds_<key_id>_<secret>``; the secret has 256 random bits, so a
plain sha256 (not a slow password hash) is enough to make a leaked table useless.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

# personal_data: see audit.masking; policy_approver: approves or rejects others' policy proposals; team_lead: the console dashboard (aggregates only)
ROLES = ("decider", "auditor", "policy_admin", "policy_approver", "personal_data", "team_lead")
PREFIX = "cds"


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    name: str
    roles: frozenset[str]
    created_at: str
    revoked_at: str | None = None
    person: str | None = None  # who the key belongs to; None: the key is its own person


def new_key() -> tuple[str, str, str]:
    """(key_id, full key to hand out, its sha256)."""
    key_id = secrets.token_hex(6)
    token = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    return key_id, token, hash_key(token)


def hash_key(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_roles(roles: list[str] | tuple[str, ...] | set[str]) -> frozenset[str]:
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise ValueError(f"unknown role(s) {', '.join(unknown)}; expected some of {', '.join(ROLES)}")
    if not roles:
        raise ValueError(f"a key needs at least one role: {', '.join(ROLES)}")
    return frozenset(roles)
