"""Four eyes per person: who may mint an approver.

Keys and console accounts carry the person they belong to (``api_keys.person``, ``staff_accounts.person``);
``lifecycle.governance`` refuses an approval by the person who proposed, through any key or account. The
store operator's command line mints keys and accounts, so it could mint itself an approver: once an active
approver (a key or an account with ``policy_approver``) exists, a new one needs a *second person*, shown by
the token of an active approver key that belongs to another person than the new one (``--confirmed-by``);
the minting is recorded in the staff trail (``approver_minted``), which checkpoints sign. The first approver
(bootstrap) needs none.
"""

from __future__ import annotations

from sqlalchemy import select

from store.db import DecisionStore
from store.keys import ApiKey
from store.staff import StaffStore
from store.tables import api_keys, staff_accounts

APPROVER = "policy_approver"


class MintRefused(ValueError):
    """An approver key or account that may not be minted; the message says what is needed."""


def _approvers(store: DecisionStore) -> list[str]:
    """Who the active approvers are: their persons, or their key / account when no person is recorded."""
    store._ensure_schema()
    with store._guard(), store.engine.connect() as conn:
        keys = conn.execute(
            select(api_keys.c.key_id, api_keys.c.roles, api_keys.c.person).where(api_keys.c.revoked_at.is_(None))
        ).all()
        accounts = conn.execute(
            select(staff_accounts.c.username, staff_accounts.c.roles, staff_accounts.c.person).where(
                staff_accounts.c.disabled_at.is_(None)
            )
        ).all()
    found = [row.person or f"key:{row.key_id}" for row in keys if APPROVER in row.roles.split(",")]
    found += [row.person or f"staff:{row.username}" for row in accounts if APPROVER in row.roles.split(",")]
    return found


def check_minting(
    store: DecisionStore, roles: list[str], person: str | None, confirming_token: str | None
) -> ApiKey | None:
    """Raise ``MintRefused`` unless an approver with ``person`` may be minted now; the confirming key (or None
    when no confirmation was needed: not an approver, or the first one)."""
    if APPROVER not in roles or not _approvers(store):
        return None
    if not person:
        raise MintRefused(
            f"an approver exists already: a new {APPROVER} must name its person (--person NAME), so that four "
            "eyes can tell people apart"
        )
    if not confirming_token:
        raise MintRefused(
            f"an approver exists already: a new {APPROVER} needs a second person, an existing approver of another "
            "person, to confirm it (--confirmed-by FILE holding that approver's API key)"
        )
    confirming = store.key_for_token(confirming_token)
    if confirming is None or APPROVER not in confirming.roles:
        raise MintRefused(
            "--confirmed-by: not the API key of an active approver (unknown, revoked or without the role)"
        )
    if (confirming.person or f"key:{confirming.key_id}") == person:
        raise MintRefused(f"--confirmed-by: that approver key belongs to {person}, the person being made an approver")
    return confirming


def record_minting(store: DecisionStore, what: str, person: str | None, confirming: ApiKey | None, by: str) -> None:
    """The minting of an approver, in the staff trail (signed with it by the next checkpoint)."""
    StaffStore(store).record(
        by,
        "approver_minted",
        {
            "what": what,
            "person": person,
            "confirmed_by": f"key:{confirming.key_id}" if confirming else None,
            "confirmed_by_person": (confirming.person if confirming else None),
        },
    )
