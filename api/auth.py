"""Bearer API keys with roles: decider, auditor, policy_admin, policy_approver, personal_data.

With COMPLAINTS_AUTH=off (development only) every caller has every role.
"""

from __future__ import annotations

from flask import g, request

from api.context import services
from api.problems import Problem
from store import ROLES

REALM = 'Bearer realm="complaint-decisions"'


def require(*roles: str) -> None:
    """Admit the caller if its key has any of ``roles``; else 401 or 403."""
    ctx = services()
    if ctx.settings.auth_mode == "off":
        g.key_id, g.key_name, g.roles = "anonymous", "anonymous (API keys off)", frozenset(ROLES)
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise Problem("unauthorized", "an API key is required", headers={"WWW-Authenticate": REALM})
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(
            "unauthorized",
            "expected Authorization: Bearer <key>",
            headers={"WWW-Authenticate": f'{REALM}, error="invalid_request"'},
        )
    key = ctx.store.key_for_token(token.strip())  # StoreUnavailable: 503, by app's error handler
    if key is None:
        raise Problem(
            "unauthorized",
            "the API key is unknown or revoked",
            headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
        )
    g.key_id, g.key_name, g.roles = key.key_id, key.name, key.roles
    g.key_person = key.person
    if not key.roles & set(roles):
        raise Problem(
            "forbidden",
            f"this operation needs the role {' or '.join(roles)}; the key has {', '.join(sorted(key.roles))}",
            headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope"'},
        )
